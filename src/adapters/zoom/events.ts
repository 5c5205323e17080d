import { webhookRefused, type BridgeError, type JsonObject, type ProviderEvent, type WebhookResult } from '../../index.js';

/** Zoom's webhook envelope (PROVIDERS.md §1.4). */
export interface ZoomWebhookEnvelope {
  /** Event name, e.g. `meeting.participant_joined`. */
  event: string;
  /** When Zoom sent it, in epoch milliseconds. */
  event_ts: number;
  /** `{account_id, object}`, or `{plainToken}` for URL validation. */
  payload: Record<string, unknown>;
  /** recording.completed only: a bearer token for the download URLs; a secret, never logged. */
  download_token?: string;
}

/** The event Zoom sends to prove a webhook URL is ours. */
export const ZOOM_URL_VALIDATION_EVENT = 'endpoint.url_validation';

/** Parses a verified body into Zoom's envelope, or throws WEBHOOK_INVALID (malformed). */
export function parseZoomEnvelope(rawBody: Uint8Array): ZoomWebhookEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch (error) {
    throw malformed('the body is not JSON', error);
  }
  const envelope = body as Partial<ZoomWebhookEnvelope>;
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.event !== 'string') throw malformed('the body has no event');
  if (typeof envelope.event_ts !== 'number' || !Number.isFinite(envelope.event_ts)) throw malformed('event_ts is not a number');
  if (typeof envelope.payload !== 'object' || envelope.payload === null) throw malformed('the body has no payload');
  return envelope as ZoomWebhookEnvelope;
}

/**
 * Maps Zoom's meeting events to the uniform ones. Each event id is derived from what the event states,
 * not from `x-zm-request-id`: a replay or a Zoom retry carries the same body, so it gets the same id and
 * the log keeps it once, while a participant who leaves and rejoins gets a new id from the new time.
 */
export function normaliseZoomEvent(envelope: ZoomWebhookEnvelope): WebhookResult {
  const object = envelope.payload.object;
  if (typeof object !== 'object' || object === null) {
    return { kind: 'ignored', reason: `zoom event ${envelope.event} carries no object` };
  }
  const o = object as Record<string, unknown>;
  const base = { providerType: envelope.event };
  let event: ProviderEvent;
  switch (envelope.event) {
    case 'meeting.participant_joined':
    case 'meeting.participant_left': {
      const joined = envelope.event === 'meeting.participant_joined';
      const participant = record(o, 'participant');
      const key = participantKey(participant);
      const at = optionalText(participant, joined ? 'join_time' : 'leave_time');
      event = {
        ...base,
        type: joined ? 'participant.joined' : 'participant.left',
        providerCallId: meetingId(o),
        providerEventId: [envelope.event, text(o, 'uuid'), key, at ?? envelope.event_ts].join(':'),
        providerTime: at === undefined ? { value: envelope.event_ts, unit: 'milliseconds' } : { value: at },
        participant: { role: roleOf(o, participant), providerParticipantId: key },
        evidence: { meetingUuid: text(o, 'uuid') },
      };
      break;
    }
    case 'meeting.ended':
      // A meeting instance (uuid) ends once; a second notice of it is the same fact.
      event = {
        ...base,
        type: 'call.ended',
        providerCallId: meetingId(o),
        providerEventId: [envelope.event, text(o, 'uuid')].join(':'),
        providerTime: { value: text(o, 'end_time') },
        evidence: { meetingUuid: text(o, 'uuid'), ...(typeof o.duration === 'number' ? { scheduledDurationMinutes: o.duration } : {}) },
      };
      break;
    case 'recording.completed':
      event = {
        ...base,
        type: 'recording.ready',
        providerCallId: meetingId(o),
        providerEventId: [envelope.event, text(o, 'uuid')].join(':'),
        providerTime: { value: envelope.event_ts, unit: 'milliseconds' },
        evidence: recordingEvidence(o),
      };
      break;
    default:
      return { kind: 'ignored', reason: `zoom event ${envelope.event} is not part of a call's lifecycle` };
  }
  return { kind: 'events', events: [event] };
}

// `object.id` is a string in meeting.* events and a number in recording.completed (PROVIDERS.md §1.4).
function meetingId(o: Record<string, unknown>): string {
  const id = o.id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'string' && /^\d+$/.test(id)) return id;
  throw malformed('payload.object.id is not a meeting number');
}

// The meeting was created for the ops device's Zoom user, so its host is the ops device. A signed-in
// participant's `id` is their Zoom user id; guests have none.
function roleOf(o: Record<string, unknown>, participant: Record<string, unknown>): NonNullable<ProviderEvent['participant']>['role'] {
  const hostId = optionalText(o, 'host_id');
  if (hostId === undefined) return 'unknown';
  return participant.id === hostId || participant.participant_user_id === hostId ? 'ops-device' : 'other-side';
}

// The same key must come back on join and leave, so the bridge can tell who is still present.
function participantKey(participant: Record<string, unknown>): string {
  const key = optionalText(participant, 'participant_uuid') ?? optionalText(participant, 'user_id') ?? optionalText(participant, 'id');
  if (key === undefined) throw malformed('payload.object.participant has no participant_uuid, user_id or id');
  return key;
}

// Counts and types only: share_url, play/download URLs, passwords and download_token are secrets.
function recordingEvidence(o: Record<string, unknown>): JsonObject {
  const files = Array.isArray(o.recording_files) ? (o.recording_files as Record<string, unknown>[]) : [];
  const fileTypes = [...new Set(files.flatMap((f) => (typeof f?.file_type === 'string' ? [f.file_type] : [])))].sort();
  return {
    meetingUuid: text(o, 'uuid'),
    recordingFiles: files.length,
    fileTypes,
    ...(typeof o.total_size === 'number' ? { totalSizeBytes: o.total_size } : {}),
    ...(typeof o.duration === 'number' ? { durationMinutes: o.duration } : {}),
  };
}

function record(o: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = o[field];
  if (typeof value !== 'object' || value === null) throw malformed(`payload.object.${field} is missing`);
  return value as Record<string, unknown>;
}

function text(o: Record<string, unknown>, field: string): string {
  const value = optionalText(o, field);
  if (value === undefined) throw malformed(`payload.object.${field} is missing`);
  return value;
}

function optionalText(o: Record<string, unknown>, field: string): string | undefined {
  const value = o[field];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function malformed(message: string, cause?: unknown): BridgeError {
  return webhookRefused('zoom', 'malformed', message, cause);
}
