import { createHash, timingSafeEqual } from 'node:crypto';
import { BridgeError, type WebhookReply } from '../../index.js';

/** One change notification in Graph's `{"value":[…]}` collection (PROVIDERS.md §4.4). */
export interface GraphChangeNotification {
  subscriptionId?: string;
  clientState?: string;
  changeType?: string;
  resource?: string;
  subscriptionExpirationDateTime?: string;
  resourceData?: { '@odata.type'?: string; '@odata.id'?: string; id?: string };
  tenantId?: string;
  /** Present on lifecycle notifications (sent to `lifecycleNotificationUrl`) instead of resource changes. */
  lifecycleEvent?: string;
}

/** Why a delivery was refused: no clientState, a wrong one, or a body that is not Graph's. */
export type TeamsWebhookRejection = 'unsigned' | 'client-state' | 'malformed';

/**
 * The validation token of a subscription-validation request, URL-decoded, or undefined for anything
 * else. Graph form-encodes it (spaces as `+`), so it is read as a query parameter, not with
 * decodeURIComponent: echoing it still encoded fails the validation.
 */
export function validationTokenOf(url: string): string | undefined {
  const token = new URL(url, 'http://webhook.invalid').searchParams.get('validationToken');
  return token === null ? undefined : token;
}

/** Graph's required answer to a validation request: 200, text/plain, the decoded token. */
export function validationReply(token: string): WebhookReply {
  // nosniff: the body is text an unauthenticated caller chose, and must never be rendered as HTML.
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: token };
}

/** Parses a notification delivery, or throws WEBHOOK_INVALID (malformed). */
export function parseNotifications(rawBody: Uint8Array): GraphChangeNotification[] {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(rawBody).toString('utf8'));
  } catch (error) {
    throw refused('malformed', 'the body is not JSON', error);
  }
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value) || value.length === 0) throw refused('malformed', 'the body has no "value" array of notifications');
  if (!value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
    throw refused('malformed', 'a notification is not an object');
  }
  return value as GraphChangeNotification[];
}

/**
 * Throws WEBHOOK_INVALID unless every notification carries the clientState the subscription was made
 * with. clientState is a shared secret echoed back, not a signature over the body, which is why the
 * adapter then reads the call record from Graph itself rather than trusting the notification's content.
 */
export function assertClientState(notifications: readonly GraphChangeNotification[], expected: string): void {
  for (const notification of notifications) {
    if (typeof notification.clientState !== 'string' || notification.clientState.length === 0) {
      throw refused('unsigned', 'a notification carries no clientState');
    }
    if (!sameSecret(notification.clientState, expected)) throw refused('client-state', 'a notification carries the wrong clientState');
  }
}

const CALL_RECORD_RESOURCE = /^\/?communications\/callRecords\/([^/?#]+)$/i;

/** The call record a notification is about, or undefined when it concerns something else. */
export function callRecordIdOf(notification: GraphChangeNotification): string | undefined {
  const fromResource = typeof notification.resource === 'string' ? CALL_RECORD_RESOURCE.exec(notification.resource)?.[1] : undefined;
  const dataId = notification.resourceData?.id;
  const fromData = isCallRecordType(notification) && typeof dataId === 'string' && dataId.length > 0 ? dataId : undefined;
  if (fromResource !== undefined && fromData !== undefined && fromResource !== fromData) {
    throw refused('malformed', 'the notification names two different call records');
  }
  return fromResource ?? fromData;
}

function isCallRecordType(notification: GraphChangeNotification): boolean {
  return notification.resourceData?.['@odata.type']?.toLowerCase() === '#microsoft.graph.callrecord';
}

// Hashing first makes the comparison constant-time whatever the lengths.
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A WEBHOOK_INVALID error for a Teams delivery; the message never quotes the clientState. */
export function refused(reason: TeamsWebhookRejection, message: string, cause?: unknown): BridgeError {
  return new BridgeError('WEBHOOK_INVALID', `teams webhook: ${message}`, { provider: 'teams', details: { reason }, cause });
}
