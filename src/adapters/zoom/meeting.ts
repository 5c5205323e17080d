import { randomInt } from 'node:crypto';
import type { CreateCallRequest } from '../../index.js';

/** Who may record the call; Zoom's `settings.auto_recording`. */
export type ZoomAutoRecording = 'none' | 'local' | 'cloud';

/** The meeting policy the adapter applies to every verification call. */
export interface ZoomMeetingPolicy {
  /** Zoom's `auto_recording`. */
  autoRecording: ZoomAutoRecording;
  /** Zoom's `waiting_room`. */
  waitingRoom: boolean;
}

/** The fields of Zoom's create-meeting response (201) the adapter uses (PROVIDERS.md §1.2). */
export interface ZoomCreatedMeeting {
  /** The meeting number; a number here, a string in webhooks. */
  id: number;
  /** Present since the 2025-11-20 changelog. */
  uuid?: string;
  /** For participants; carries the passcode hash in `pwd`. */
  join_url: string;
  /** For the host only; carries the host's `zak` token, a secret. */
  start_url: string;
  /** ISO-8601 UTC with second precision. */
  created_at?: string;
  /** The host's Zoom user id. */
  host_id?: string;
  /** The passcode; a secret. */
  password?: string;
  /** The settings Zoom applied, which an account's locked settings may override. */
  settings?: Record<string, unknown>;
}

const TOPIC = 'Police officer verification call';
const PASSCODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
// Ten characters: within the passcode length every Zoom account accepts, and about 58 bits of entropy.
const PASSCODE_LENGTH = 10;

/**
 * The `POST /users/{userId}/meetings` body for one verification call. The settings serve one purpose:
 * nobody meets the citizen except the ops room's supervisor.
 * - `join_before_host: false`: the other side waits until the ops device (the host) has started it,
 *   so nobody can sit in the meeting with her before the supervisor is there.
 * - a random passcode on every meeting and `use_pmi: false`: the link works for this call only; a
 *   personal meeting id would let an earlier caller walk back in.
 * - `meeting_authentication: false` and `approval_type: 2` (no registration): the citizen needs no Zoom
 *   account and no sign-up, only the link.
 * - `waiting_room` off by default: the supervisor is alone on one device and the link reaches one person,
 *   so admitting her would only slow the call; forces that want the extra check can turn it on.
 * - `audio: 'voip'`: no dial-in numbers, so the call cannot be joined by phone without video.
 * - `auto_recording: 'none'` unless configured: recording a member of the public needs a lawful basis
 *   the force must decide on.
 * - `email_notification: false`: the ops device's account is not mailed about every call.
 * Scheduled (`type: 2`) rather than instant, so Zoom's own records show the intended window.
 */
export function meetingRequestBody(request: Pick<CreateCallRequest, 'expiresAt'>, policy: ZoomMeetingPolicy, nowMs: number): Record<string, unknown> {
  const durationMinutes = Math.max(1, Math.ceil((Date.parse(request.expiresAt) - nowMs) / 60_000));
  return {
    topic: TOPIC,
    type: 2,
    start_time: isoSeconds(nowMs),
    duration: durationMinutes,
    timezone: 'UTC',
    password: randomPasscode(),
    settings: {
      host_video: true,
      participant_video: true,
      join_before_host: false,
      waiting_room: policy.waitingRoom,
      use_pmi: false,
      meeting_authentication: false,
      approval_type: 2,
      audio: 'voip',
      auto_recording: policy.autoRecording,
      email_notification: false,
    },
  };
}

/** Whether a create response has what the two sides need to join. */
export function isCreatedMeeting(value: unknown): value is ZoomCreatedMeeting {
  const meeting = value as Partial<ZoomCreatedMeeting> | undefined;
  return (
    typeof meeting === 'object' &&
    meeting !== null &&
    typeof meeting.id === 'number' &&
    Number.isSafeInteger(meeting.id) &&
    typeof meeting.join_url === 'string' &&
    typeof meeting.start_url === 'string'
  );
}

// Zoom's start_time form: ISO-8601 UTC to the second with a trailing Z.
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// Letters and digits only, without look-alikes, since a supervisor may have to read it out.
function randomPasscode(): string {
  let passcode = '';
  for (let i = 0; i < PASSCODE_LENGTH; i += 1) passcode += PASSCODE_ALPHABET[randomInt(PASSCODE_ALPHABET.length)];
  return passcode;
}
