import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying Zoom's webhook signature, `v0=<hex>` (PROVIDERS.md §1.4). */
export const ZOOM_SIGNATURE_HEADER = 'x-zm-signature';

/** Header carrying the delivery's Unix time in seconds. */
export const ZOOM_TIMESTAMP_HEADER = 'x-zm-request-timestamp';

/**
 * The `x-zm-signature` value for a delivery: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed
 * with the app's Webhook Secret Token. The raw body is hashed; Zoom sends compact JSON, so this agrees
 * with verifiers that re-stringify the parsed body.
 */
export function signZoomWebhook(secretToken: string, timestamp: string, rawBody: Uint8Array): string {
  const message = Buffer.concat([Buffer.from(`v0:${timestamp}:`, 'utf8'), Buffer.from(rawBody)]);
  return `v0=${createHmac('sha256', secretToken).update(message).digest('hex')}`;
}

/** Whether `signature` is Zoom's signature of this delivery, compared in constant time. */
export function isZoomSignatureValid(secretToken: string, timestamp: string, rawBody: Uint8Array, signature: string): boolean {
  const expected = Buffer.from(signZoomWebhook(secretToken, timestamp, rawBody), 'utf8');
  const given = Buffer.from(signature.trim(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `encryptedToken` that answers an `endpoint.url_validation` challenge: hex HMAC-SHA256 of the plain token. */
export function zoomEncryptedToken(secretToken: string, plainToken: string): string {
  return createHmac('sha256', secretToken).update(plainToken).digest('hex');
}
