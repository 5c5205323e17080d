import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { FakeResponse } from '../fake-server.js';
import { graphError } from './errors.js';

/** A Teams user of the fake tenant: an ops device's account. */
export interface FakeTeamsUser {
  /** Entra object id. */
  id: string;
  /** Display name. */
  displayName: string;
  /** Sign-in name. */
  userPrincipalName: string;
}

/** An online meeting as the fake holds it. */
export interface FakeOnlineMeeting {
  id: string;
  userId: string;
  threadId: string;
  joinWebUrl: string;
  subject: string | null;
  creationDateTime: string;
  startDateTime: string;
  endDateTime: string;
  joinMeetingIdSettings: { isPasscodeRequired: boolean; joinMeetingId: string; passcode: string | null };
  videoTeleconferenceId: string;
}

/** The fake's online meetings under `/v1.0/users/{userId}/onlineMeetings` (PROVIDERS.md §4.2). */
export interface MeetingStore {
  /** `POST` (201). */
  create(userId: string, body: unknown, origin: string): FakeResponse;
  /** `GET ?$filter=JoinWebUrl eq '…'`. */
  findByJoinWebUrl(userId: string, query: URLSearchParams, origin: string): FakeResponse;
  /** `DELETE /{meetingId}` (204). */
  remove(userId: string, meetingId: string): FakeResponse;
  /** A meeting that exists now. */
  live(meetingId: string): FakeOnlineMeeting | undefined;
  /** A meeting ever created, deleted or not: its call record can still be made. */
  ever(meetingId: string): FakeOnlineMeeting | undefined;
  /** Meetings that exist now. */
  all(): FakeOnlineMeeting[];
}

// The request fields PROVIDERS.md documents. Graph accepts more; the fake refuses what the adapter has no reason to send.
const CREATE_FIELDS = new Set(['startDateTime', 'endDateTime', 'subject', 'joinMeetingIdSettings']);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const FILTER = /^JoinWebUrl eq '((?:[^']|'')*)'$/;

/** Graph's date-time form: UTC with 7 fractional digits, e.g. `2019-07-12T21:30:34.2444915Z`. */
export function graphDateTime(epochMs: number, subMillisecondDigits = String(randomInt(10_000)).padStart(4, '0')): string {
  return new Date(epochMs).toISOString().replace(/Z$/, `${subMillisecondDigits}Z`);
}

/**
 * The user must exist and be granted the app by an application access policy, as app-only calls need;
 * the status and text of those two refusals are not in PROVIDERS.md, so `accessPolicyUserIds` is configurable.
 */
export function createMeetingStore(settings: {
  tenantId: string;
  users: readonly FakeTeamsUser[];
  accessPolicyUserIds: ReadonlySet<string>;
  now: () => number;
}): MeetingStore {
  const meetings = new Map<string, FakeOnlineMeeting>();
  const deleted = new Map<string, FakeOnlineMeeting>();

  function refuseUser(userId: string): FakeResponse | undefined {
    const user = settings.users.find((u) => u.id === userId);
    if (!user) return graphError(404, `User '${userId}' was not found.`);
    if (!settings.accessPolicyUserIds.has(userId)) return graphError(403, 'No application access policy found for this app.');
    return undefined;
  }

  function view(meeting: FakeOnlineMeeting, origin: string): unknown {
    const user = settings.users.find((u) => u.id === meeting.userId)!;
    return {
      '@odata.context': `${origin}/v1.0/$metadata#users('${meeting.userId}')/onlineMeetings/$entity`,
      id: meeting.id,
      creationDateTime: meeting.creationDateTime,
      startDateTime: meeting.startDateTime,
      endDateTime: meeting.endDateTime,
      joinWebUrl: meeting.joinWebUrl,
      subject: meeting.subject,
      participants: {
        organizer: { identity: { user: { id: user.id, displayName: user.displayName } }, upn: user.userPrincipalName },
        attendees: [],
      },
      chatInfo: { threadId: meeting.threadId, messageId: '0', replyChainMessageId: null },
      // A tenant without audio-conferencing licences gets no dial-in details.
      audioConferencing: null,
      videoTeleconferenceId: meeting.videoTeleconferenceId,
      joinMeetingIdSettings: meeting.joinMeetingIdSettings,
    };
  }

  return {
    create(userId, body, origin) {
      const refusal = refuseUser(userId);
      if (refusal) return refusal;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return graphError(400, 'The request body must be a JSON object.');
      const input = body as Record<string, unknown>;
      const unknownField = Object.keys(input).find((key) => !CREATE_FIELDS.has(key));
      if (unknownField) return graphError(400, `Invalid property '${unknownField}'.`);
      for (const field of ['startDateTime', 'endDateTime'] as const) {
        const value = input[field];
        if (value !== undefined && (typeof value !== 'string' || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
          return graphError(400, `${field} is not a valid date-time.`);
        }
      }
      if (input.subject !== undefined && typeof input.subject !== 'string') return graphError(400, 'subject must be a string.');
      // Graph's defaults for omitted times are not in PROVIDERS.md: the fake uses now and one hour later.
      const startMs = typeof input.startDateTime === 'string' ? Date.parse(input.startDateTime) : settings.now();
      const endMs = typeof input.endDateTime === 'string' ? Date.parse(input.endDateTime) : startMs + 3_600_000;
      if (endMs <= startMs) return graphError(400, 'endDateTime must be later than startDateTime.');
      const passcodeRequired = (input.joinMeetingIdSettings as { isPasscodeRequired?: unknown } | undefined)?.isPasscodeRequired === true;
      const threadId = `19:meeting_${Buffer.from(randomUUID()).toString('base64').replace(/=+$/, '')}@thread.v2`;
      const context = JSON.stringify({ Tid: settings.tenantId, Oid: userId });
      const meeting: FakeOnlineMeeting = {
        id: randomBytes(48).toString('base64'),
        userId,
        threadId,
        // Graph's examples percent-encode with lower-case hex (`19%3ameeting_…%40thread.v2`).
        joinWebUrl: `https://teams.microsoft.com/l/meetup-join/${lowerHex(encodeURIComponent(threadId))}/0?context=${lowerHex(encodeURIComponent(context))}`,
        subject: typeof input.subject === 'string' ? input.subject : null,
        creationDateTime: graphDateTime(settings.now()),
        startDateTime: graphDateTime(startMs, '0000'),
        endDateTime: graphDateTime(endMs, '0000'),
        joinMeetingIdSettings: {
          isPasscodeRequired: passcodeRequired,
          joinMeetingId: String(randomInt(1e9, 1e10)),
          passcode: passcodeRequired ? randomBytes(4).toString('hex') : null,
        },
        videoTeleconferenceId: String(randomInt(1e9, 1e10)),
      };
      meetings.set(meeting.id, meeting);
      return { status: 201, body: view(meeting, origin) };
    },

    findByJoinWebUrl(userId, query, origin) {
      const refusal = refuseUser(userId);
      if (refusal) return refusal;
      const filter = FILTER.exec(query.get('$filter') ?? '');
      if (!filter) return graphError(400, "This API needs $filter=JoinWebUrl eq '<url>' for app-only access.");
      const url = filter[1]!.replace(/''/g, "'");
      const found = [...meetings.values()].filter((m) => m.userId === userId && m.joinWebUrl === url);
      return { status: 200, body: { '@odata.context': `${origin}/v1.0/$metadata#users('${userId}')/onlineMeetings`, value: found.map((m) => view(m, origin)) } };
    },

    remove(userId, meetingId) {
      const refusal = refuseUser(userId);
      if (refusal) return refusal;
      const meeting = meetings.get(meetingId);
      if (!meeting || meeting.userId !== userId) return graphError(404, `The onlineMeeting '${meetingId}' was not found.`);
      meetings.delete(meetingId);
      deleted.set(meetingId, meeting);
      return { status: 204 };
    },

    live: (meetingId) => meetings.get(meetingId),
    ever: (meetingId) => meetings.get(meetingId) ?? deleted.get(meetingId),
    all: () => [...meetings.values()],
  };
}

function lowerHex(encoded: string): string {
  return encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}
