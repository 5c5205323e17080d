import { webhookRefused, type BridgeError, type JsonObject, type ProviderEvent, type WebhookResult } from '../../index.js';

/** Daily's webhook envelope (PROVIDERS.md §2.3). */
export interface DailyWebhookEnvelope {
  version?: string;
  type: string;
  id: string;
  payload: Record<string, unknown>;
  /** Unix seconds (float) when Daily sent the webhook; not when the event happened. */
  event_ts?: number;
}

/** Parses a verified body into Daily's envelope, or throws WEBHOOK_INVALID (malformed). */
export function parseDailyEnvelope(rawBody: Uint8Array): DailyWebhookEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch (error) {
    throw malformed('the body is not JSON', error);
  }
  const envelope = body as Partial<DailyWebhookEnvelope>;
  if (typeof envelope !== 'object' || envelope === null || typeof envelope.type !== 'string' || typeof envelope.id !== 'string') {
    throw malformed('the body has no type or id');
  }
  if (typeof envelope.payload !== 'object' || envelope.payload === null) throw malformed('the body has no payload');
  return envelope as DailyWebhookEnvelope;
}

/**
 * Maps Daily's events to the uniform ones. Every `*_ts` and `joined_at` is Unix seconds; a participant's
 * leaving time is `joined_at + duration`, since `participant.left` carries no time of its own.
 */
export function normaliseDailyEvent(envelope: DailyWebhookEnvelope): WebhookResult {
  const p = envelope.payload;
  const base = { providerType: envelope.type, providerEventId: envelope.id };
  const seconds = (value: number) => ({ value, unit: 'seconds' as const });
  let event: ProviderEvent;
  switch (envelope.type) {
    case 'meeting.started':
      event = { ...base, type: 'call.started', providerCallId: text(p, 'room'), providerTime: seconds(number(p, 'start_ts')), evidence: meeting(p) };
      break;
    case 'meeting.ended':
      event = { ...base, type: 'call.ended', providerCallId: text(p, 'room'), providerTime: seconds(number(p, 'end_ts')), evidence: meeting(p) };
      break;
    case 'participant.joined':
      event = { ...base, type: 'participant.joined', providerCallId: text(p, 'room'), providerTime: seconds(number(p, 'joined_at')), participant: participant(p) };
      break;
    case 'participant.left': {
      const duration = number(p, 'duration');
      event = {
        ...base,
        type: 'participant.left',
        providerCallId: text(p, 'room'),
        providerTime: seconds(number(p, 'joined_at') + duration),
        participant: participant(p),
        evidence: { durationSeconds: duration },
      };
      break;
    }
    case 'recording.ready-to-download':
      event = {
        ...base,
        type: 'recording.ready',
        providerCallId: text(p, 'room_name'),
        providerTime: seconds(typeof envelope.event_ts === 'number' ? envelope.event_ts : number(p, 'start_ts')),
        evidence: { recordingId: text(p, 'recording_id'), recordingStartedTs: number(p, 'start_ts'), durationSeconds: number(p, 'duration') },
      };
      break;
    default:
      return { kind: 'ignored', reason: `daily event ${envelope.type} is not part of a call's lifecycle` };
  }
  return { kind: 'events', events: [event] };
}

// The owner token is the ops device's; Daily marks its holder `owner: true`.
function participant(p: Record<string, unknown>): NonNullable<ProviderEvent['participant']> {
  return { role: p.owner === true ? 'ops-device' : 'other-side', providerParticipantId: text(p, 'session_id') };
}

function meeting(p: Record<string, unknown>): JsonObject {
  return typeof p.meeting_id === 'string' ? { meetingId: p.meeting_id } : {};
}

function text(p: Record<string, unknown>, field: string): string {
  const value = p[field];
  if (typeof value !== 'string' || value.length === 0) throw malformed(`payload.${field} is missing`);
  return value;
}

function number(p: Record<string, unknown>, field: string): number {
  const value = p[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`payload.${field} is not a number`);
  return value;
}

function malformed(message: string, cause?: unknown): BridgeError {
  return webhookRefused('daily', 'malformed', message, cause);
}
