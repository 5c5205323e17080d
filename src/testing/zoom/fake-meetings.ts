import { randomBytes, randomInt } from 'node:crypto';
import type { FakeResponse, RecordedRequest } from '../fake-server.js';
import { zoomRateLimitResponse, type ZoomRateLimitHeaders } from './fake-rate-limits.js';

/** A Zoom user in the fake's account: the ops device's. */
export interface FakeZoomUser {
  /** Zoom user id. */
  id: string;
  /** The user's email, which the API also takes as a user id. */
  email: string;
}

/** Someone in a fake meeting, shaped as Zoom's participant events carry them. */
export interface FakeZoomParticipant {
  user_id: string;
  user_name: string;
  id: string;
  participant_uuid: string;
  join_time: string;
  email: string;
  participant_user_id: string;
}

/** A meeting as the fake holds it. */
export interface FakeZoomMeeting {
  id: number;
  uuid: string;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  start_time: string;
  duration: number;
  timezone: string;
  created_at: string;
  password: string;
  join_url: string;
  start_url: string;
  settings: Record<string, unknown>;
  /** `waiting` until the host joins, `started` while live, `ended` after. */
  status: 'waiting' | 'started' | 'ended';
  end_time?: string;
  /** Present now, by participant_uuid. */
  participants: Map<string, FakeZoomParticipant>;
  /** Joined before the host while `join_before_host` is false: Zoom holds them until the host starts. */
  held: FakeZoomParticipant[];
}

/** How the fake answers `PUT /meetings/{id}/status` for a meeting not in progress. */
export type ZoomIdleEndAnswer = 'no-content' | { status: number; code: number; message: string };

/** Settings for {@link createZoomFakeMeetings}. */
export interface ZoomFakeMeetingsOptions {
  /** The one user meetings can be created for. */
  host: FakeZoomUser;
  /** Meeting create/update requests a user may make per UTC day. */
  createLimitPerUserPerDay: number;
  /** Which headers a 429 carries. */
  rateLimitHeaders: ZoomRateLimitHeaders;
  /** The answer to ending a meeting that is not in progress. */
  idleEndAnswer: ZoomIdleEndAnswer;
  /** Origin of join and start URLs. */
  joinOrigin: string;
  /** The fake's clock in epoch milliseconds. */
  now: () => number;
  /** Told when the API ended a live meeting, with who was still in it. */
  onApiEnd(meeting: FakeZoomMeeting, stillPresent: FakeZoomParticipant[]): void;
}

/** The fake's meetings API under `/v2`. */
export interface ZoomFakeMeetings {
  /** Answers an authenticated `/v2/...` request. */
  handle(request: RecordedRequest): FakeResponse;
  /** Meetings that exist, by id. */
  meetings: Map<number, FakeZoomMeeting>;
}

const BODY_FIELDS = new Set([
  'agenda', 'default_password', 'duration', 'password', 'pre_schedule', 'recurrence', 'schedule_for', 'settings',
  'start_time', 'template_id', 'timezone', 'topic', 'tracking_fields', 'type',
]);
const boolean = (value: unknown) => typeof value === 'boolean';
const oneOf = (...allowed: unknown[]) => (value: unknown) => allowed.includes(value);
// Scalar meeting settings from Zoom's create-meeting request type (Rivet meetings.d.ts); others are refused.
const SETTINGS: Readonly<Record<string, (value: unknown) => boolean>> = {
  host_video: boolean, participant_video: boolean, join_before_host: boolean, jbh_time: oneOf(0, 5, 10, 15),
  mute_upon_entry: boolean, waiting_room: boolean, use_pmi: boolean, meeting_authentication: boolean,
  approval_type: oneOf(0, 1, 2), registration_type: oneOf(1, 2, 3), audio: oneOf('both', 'telephony', 'voip', 'thirdParty'),
  auto_recording: oneOf('local', 'cloud', 'none'), email_notification: boolean, private_meeting: boolean, watermark: boolean,
  focus_mode: boolean, cn_meeting: boolean, in_meeting: boolean, close_registration: boolean, show_share_button: boolean,
  allow_multiple_devices: boolean, alternative_hosts: (value) => typeof value === 'string', encryption_type: oneOf('enhanced_encryption', 'e2ee'),
};
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z?$/;

/** Zoom's meetings API as far as PROVIDERS.md §1.2-1.3 and §1.5 describe it. */
export function createZoomFakeMeetings(options: ZoomFakeMeetingsOptions): ZoomFakeMeetings {
  const meetings = new Map<number, FakeZoomMeeting>();
  const createsByUserDay = new Map<string, number>();
  const isoSeconds = () => new Date(options.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  function resolveUser(userId: string): FakeZoomUser | undefined {
    const { host } = options;
    return userId === 'me' || userId === host.id || userId.toLowerCase() === host.email.toLowerCase() ? host : undefined;
  }

  function create(userId: string, body: unknown): FakeResponse {
    const user = resolveUser(userId);
    if (!user) return zoomError(404, 1001, `User does not exist: ${userId}.`);
    const day = `${user.id}/${new Date(options.now()).toISOString().slice(0, 10)}`;
    const used = createsByUserDay.get(day) ?? 0;
    if (used >= options.createLimitPerUserPerDay) {
      const limited = zoomRateLimitResponse('per-user-daily', options.now(), options.rateLimitHeaders);
      return { status: 429, body: limited.body, headers: limited.headers };
    }
    const problem = invalidField(body);
    if (problem) return validationFailed(problem);
    const input = body as Record<string, unknown>;
    createsByUserDay.set(day, used + 1);
    const id = uniqueMeetingNumber();
    const password = typeof input.password === 'string' ? input.password : randomBytes(4).toString('hex');
    const meeting: FakeZoomMeeting = {
      id,
      uuid: randomBytes(16).toString('base64'),
      host_id: user.id,
      host_email: user.email,
      topic: typeof input.topic === 'string' ? input.topic : 'Zoom Meeting',
      type: typeof input.type === 'number' ? input.type : 2,
      start_time: typeof input.start_time === 'string' ? input.start_time : isoSeconds(),
      duration: typeof input.duration === 'number' ? input.duration : 60,
      timezone: typeof input.timezone === 'string' ? input.timezone : 'UTC',
      created_at: isoSeconds(),
      password,
      join_url: `${options.joinOrigin}/j/${id}?pwd=${randomBytes(16).toString('base64url')}`,
      start_url: `${options.joinOrigin}/s/${id}?zak=${randomBytes(32).toString('base64url')}`,
      settings: { join_before_host: false, waiting_room: false, auto_recording: 'none', ...(input.settings as Record<string, unknown> | undefined) },
      status: 'waiting',
      participants: new Map(),
      held: [],
    };
    meetings.set(id, meeting);
    return { status: 201, body: createdBody(meeting) };
  }

  function updateStatus(meeting: FakeZoomMeeting, body: unknown): FakeResponse {
    if ((body as { action?: unknown } | undefined)?.action !== 'end') return validationFailed('action');
    if (meeting.status !== 'started') {
      const answer = options.idleEndAnswer;
      return answer === 'no-content' ? { status: 204 } : zoomError(answer.status, answer.code, answer.message);
    }
    meeting.status = 'ended';
    meeting.end_time = isoSeconds();
    const stillPresent = [...meeting.participants.values()];
    meeting.participants.clear();
    options.onApiEnd(meeting, stillPresent);
    return { status: 204 };
  }

  function remove(meeting: FakeZoomMeeting): FakeResponse {
    if (meeting.status === 'started') return zoomError(400, 3002, "Sorry, you cannot delete this meeting since it's in progress.");
    meetings.delete(meeting.id);
    return { status: 204 };
  }

  function uniqueMeetingNumber(): number {
    for (;;) {
      const id = randomInt(80_000_000_000, 99_999_999_999);
      if (!meetings.has(id)) return id;
    }
  }

  return {
    meetings,
    handle(request) {
      const userMeetings = /^\/v2\/users\/([^/]+)\/meetings$/.exec(request.path);
      if (userMeetings && request.method === 'POST') return create(decodeURIComponent(userMeetings[1]!), request.body);
      const meetingPath = /^\/v2\/meetings\/([^/]+)(\/status)?$/.exec(request.path);
      if (!meetingPath) return zoomError(404, 404, `No such API: ${request.method} ${request.path}`);
      const meeting = meetings.get(Number(meetingPath[1]));
      if (!meeting) return zoomError(404, 3001, `Meeting does not exist: ${meetingPath[1]}.`);
      if (meetingPath[2] && request.method === 'PUT') return updateStatus(meeting, request.body);
      if (!meetingPath[2] && request.method === 'DELETE') return remove(meeting);
      return zoomError(405, 405, `${request.method} is not allowed on ${request.path}`);
    },
  };
}

/** Zoom's error body. */
export function zoomError(status: number, code: number, message: string): FakeResponse {
  return { status, body: { code, message } };
}

function createdBody(meeting: FakeZoomMeeting): Record<string, unknown> {
  const { participants: _participants, held: _held, status: _status, end_time: _end, ...fields } = meeting;
  return {
    ...fields,
    status: 'waiting',
    encrypted_password: new URL(meeting.join_url).searchParams.get('pwd'),
    h323_password: meeting.password,
    pstn_password: meeting.password,
    pre_schedule: false,
    creation_source: 'open_api',
  };
}

// Zoom validates the create body; the exact error shape for a bad field (code 300) is UNCONFIRMED.
function invalidField(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'body';
  const input = body as Record<string, unknown>;
  const unknownField = Object.keys(input).find((key) => !BODY_FIELDS.has(key));
  if (unknownField) return unknownField;
  if (input.type !== undefined && ![1, 2, 3, 8, 10].includes(input.type as number)) return 'type';
  if (input.start_time !== undefined && (typeof input.start_time !== 'string' || !ISO_SECONDS.test(input.start_time))) return 'start_time';
  if (input.duration !== undefined && !(Number.isInteger(input.duration) && (input.duration as number) > 0)) return 'duration';
  if (input.password !== undefined && typeof input.password !== 'string') return 'password';
  if (input.settings === undefined) return undefined;
  if (typeof input.settings !== 'object' || input.settings === null) return 'settings';
  for (const [key, value] of Object.entries(input.settings)) {
    if (!SETTINGS[key]?.(value)) return `settings.${key}`;
  }
  return undefined;
}

function validationFailed(field: string): FakeResponse {
  return { status: 400, body: { code: 300, message: 'Validation Failed.', errors: [{ field, message: 'Invalid field.' }] } };
}
