import { createHmac } from 'node:crypto';
import { matchingSecret } from '../../index.js';

/**
 * Daily's webhook signature scheme, in one place because parts of it are UNCONFIRMED (PROVIDERS.md §2.3):
 * the signature is base64(HMAC-SHA256(key = base64-decoded `hmac` secret, message = timestamp + "." + raw
 * body)), sent in `X-Webhook-Signature` with the timestamp in `X-Webhook-Timestamp`. The message format
 * is what several independent integrations implement; the timestamp's unit (seconds or milliseconds) is
 * not documented, so the adapter accepts either by default.
 */
export const DAILY_SIGNATURE_HEADER = 'x-webhook-signature';

/** Header carrying the delivery's timestamp. */
export const DAILY_TIMESTAMP_HEADER = 'x-webhook-timestamp';

/** The bytes Daily signs: the timestamp header, a dot, and the raw body. */
export function dailySignedMessage(timestamp: string, rawBody: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), Buffer.from(rawBody)]);
}

/** The `X-Webhook-Signature` value for a delivery. */
export function signDailyWebhook(secretBase64: string, timestamp: string, rawBody: Uint8Array): string {
  return createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(dailySignedMessage(timestamp, rawBody)).digest('base64');
}

/**
 * The one of `secrets` that signed this delivery, or undefined when none did. During a rotation Daily
 * may sign with the new secret or the old, so every configured secret is tried.
 */
export function dailySigningSecret(secretsBase64: readonly string[], timestamp: string, rawBody: Uint8Array, signature: string): string | undefined {
  // Node has already stripped the header's surrounding whitespace; anything else that is not exactly the
  // base64 of a MAC (junk the lenient decoder would skip, a second header joined on) is not Daily's signature.
  const given = Buffer.from(signature, 'base64');
  if (given.toString('base64').replace(/=+$/, '') !== signature.replace(/=+$/, '')) return undefined;
  return matchingSecret(secretsBase64, given, (secret) => Buffer.from(signDailyWebhook(secret, timestamp, rawBody), 'base64'));
}
