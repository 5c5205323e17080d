import { matchingSecret, webhookRefused, type WebhookReply } from '../../index.js';

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
    throw webhookRefused('teams', 'malformed', 'the body is not JSON', error);
  }
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value) || value.length === 0) throw webhookRefused('teams', 'malformed', 'the body has no "value" array of notifications');
  if (!value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))) {
    throw webhookRefused('teams', 'malformed', 'a notification is not an object');
  }
  return value as GraphChangeNotification[];
}

/**
 * Throws WEBHOOK_INVALID unless every notification carries one of the clientStates subscriptions were
 * made with (several while old subscriptions outlive a rotation). clientState is a shared secret echoed
 * back, not a signature over the body, which is why the adapter then reads the call record from Graph
 * itself rather than trusting the notification's content.
 */
export function assertClientState(notifications: readonly GraphChangeNotification[], accepted: readonly string[]): void {
  for (const notification of notifications) {
    if (typeof notification.clientState !== 'string' || notification.clientState.length === 0) {
      throw webhookRefused('teams', 'unsigned', 'a notification carries no clientState');
    }
    if (matchingSecret(accepted, notification.clientState, (clientState) => clientState) === undefined) {
      throw webhookRefused('teams', 'signature', 'a notification carries a clientState that is not configured');
    }
  }
}

const CALL_RECORD_RESOURCE = /^\/?communications\/callRecords\/([^/?#]+)$/i;

/** The call record a notification is about, or undefined when it concerns something else. */
export function callRecordIdOf(notification: GraphChangeNotification): string | undefined {
  const fromResource = typeof notification.resource === 'string' ? CALL_RECORD_RESOURCE.exec(notification.resource)?.[1] : undefined;
  const dataId = notification.resourceData?.id;
  const fromData = isCallRecordType(notification) && typeof dataId === 'string' && dataId.length > 0 ? dataId : undefined;
  if (fromResource !== undefined && fromData !== undefined && fromResource !== fromData) {
    throw webhookRefused('teams', 'malformed', 'the notification names two different call records');
  }
  return fromResource ?? fromData;
}

function isCallRecordType(notification: GraphChangeNotification): boolean {
  const type: unknown = notification.resourceData?.['@odata.type'];
  return typeof type === 'string' && type.toLowerCase() === '#microsoft.graph.callrecord';
}
