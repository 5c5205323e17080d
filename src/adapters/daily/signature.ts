import { createHmac, timingSafeEqual } from 'node:crypto';

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

/** Whether `signature` is Daily's signature of this delivery, compared in constant time. */
export function isDailySignatureValid(secretBase64: string, timestamp: string, rawBody: Uint8Array, signature: string): boolean {
  const expected = Buffer.from(signDailyWebhook(secretBase64, timestamp, rawBody), 'base64');
  const given = Buffer.from(signature.trim(), 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
