import { webhookRefused, type BridgeError, type JsonObject, type ProviderEvent, type WebhookResult } from '../../index.js';
import { AGORA_CHANNEL_PREFIX, roleOfUid } from './channel.js';

/** An NCS notification body (PROVIDERS.md §3.3). */
export interface AgoraNotification {
  /** Identifies the notification. */
  noticeId: string;
  /** 1 RTC, 3 Cloud Recording, 4 Media Pull, 5 Media Push. */
  productId: number;
  /** 101 channel create … 108 user leave, 111/112 role changes. */
  eventType: number;
  /** Unix milliseconds when Agora sent this delivery; refreshed when it resends. */
  notifyMs: number;
  /** The event; its `ts` is Unix seconds when the event happened on Agora's server. */
  payload: Record<string, unknown>;
}

const RTC_PRODUCT = 1;
const JOIN_EVENTS = new Set([103, 105, 107]);
const LEAVE_EVENTS = new Set([104, 106, 108]);

/** Parses a body whose signature was checked, or throws WEBHOOK_INVALID (malformed). */
export function parseAgoraNotification(rawBody: Uint8Array): AgoraNotification {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch (error) {
    throw malformed('the body is not JSON', error);
  }
  const n = body as Partial<AgoraNotification>;
  if (typeof n !== 'object' || n === null) throw malformed('the body is not an object');
  if (typeof n.noticeId !== 'string' || n.noticeId.length === 0) throw malformed('noticeId is missing');
  for (const field of ['productId', 'eventType', 'notifyMs'] as const) {
    if (typeof n[field] !== 'number' || !Number.isFinite(n[field])) throw malformed(`${field} is not a number`);
  }
  if (typeof n.payload !== 'object' || n.payload === null) throw malformed('payload is missing');
  return n as AgoraNotification;
}

/**
 * Maps RTC channel events to the uniform ones: 101 → call.started, 102 → call.ended, 103/105/107 →
 * participant.joined, 104/106/108 → participant.left. The event time is the payload's `ts` (seconds);
 * `notifyMs` is only when the delivery left Agora.
 *
 * The event id is built from what identifies the event rather than the delivery: Agora may send one event
 * more than once "to ensure reliability", and documents `clientSeq` (per user, rising) as the way to
 * spot the copies; the docs do not promise that copies share a noticeId. 101/102 carry no clientSeq,
 * so channel and `ts` stand in. A byte-for-byte replay has the same id and is caught as a duplicate.
 */
export function normaliseAgoraNotification(n: AgoraNotification): WebhookResult {
  if (n.productId !== RTC_PRODUCT) return ignored(`product ${n.productId} is not RTC`);
  const p = n.payload;
  const channel = text(p, 'channelName');
  if (!channel.startsWith(AGORA_CHANNEL_PREFIX)) return ignored(`channel ${channel} was not created by this SDK`);
  const ts = optionalNumber(p, 'ts');
  const providerTime = ts === undefined ? { value: n.notifyMs, unit: 'milliseconds' as const } : { value: ts, unit: 'seconds' as const };
  const evidence: JsonObject = { noticeId: n.noticeId };
  const base = { providerType: String(n.eventType), providerCallId: channel, providerTime, evidence };

  let event: ProviderEvent;
  if (n.eventType === 101 || n.eventType === 102) {
    const lastUid = optionalNumber(p, 'lastUid');
    if (lastUid !== undefined) evidence.lastUid = lastUid;
    const type = n.eventType === 101 ? 'call.started' : 'call.ended';
    event = { ...base, type, providerEventId: `${n.eventType}:${channel}:${ts ?? n.noticeId}` };
  } else if (JOIN_EVENTS.has(n.eventType) || LEAVE_EVENTS.has(n.eventType)) {
    const uid = number(p, 'uid');
    const clientSeq = optionalNumber(p, 'clientSeq');
    copyNumbers(p, evidence, { platform: 'platform', clientSeq: 'clientSeq', reason: 'leaveReason', duration: 'durationSeconds' });
    event = {
      ...base,
      type: JOIN_EVENTS.has(n.eventType) ? 'participant.joined' : 'participant.left',
      providerEventId: `${n.eventType}:${channel}:${uid}:${clientSeq ?? ts ?? n.noticeId}`,
      participant: { role: roleOfUid(channel, uid), providerParticipantId: String(uid) },
    };
  } else {
    return ignored(`agora event ${n.eventType} is not part of a call's lifecycle`);
  }
  return { kind: 'events', events: [event] };
}

function copyNumbers(from: Record<string, unknown>, to: JsonObject, fields: Record<string, string>): void {
  for (const [source, target] of Object.entries(fields)) {
    const value = optionalNumber(from, source);
    if (value !== undefined) to[target] = value;
  }
}

function ignored(reason: string): WebhookResult {
  return { kind: 'ignored', reason };
}

function text(p: Record<string, unknown>, field: string): string {
  const value = p[field];
  if (typeof value !== 'string' || value.length === 0) throw malformed(`payload.${field} is missing`);
  return value;
}

function number(p: Record<string, unknown>, field: string): number {
  const value = optionalNumber(p, field);
  if (value === undefined) throw malformed(`payload.${field} is not a number`);
  return value;
}

function optionalNumber(p: Record<string, unknown>, field: string): number | undefined {
  const value = p[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`payload.${field} is not a number`);
  return value;
}

function malformed(message: string, cause?: unknown): BridgeError {
  return webhookRefused('agora', 'malformed', message, cause);
}
