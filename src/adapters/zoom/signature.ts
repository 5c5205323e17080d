import { createHmac } from 'node:crypto';
import { matchingSecret } from '../../index.js';

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

/**
 * The one of `secretTokens` that signed this delivery, or undefined when none did. The caller needs to
 * know which: the URL validation challenge must be answered with the same token.
 */
export function zoomSigningSecret(secretTokens: readonly string[], timestamp: string, rawBody: Uint8Array, signature: string): string | undefined {
  return matchingSecret(secretTokens, signature, (secret) => signZoomWebhook(secret, timestamp, rawBody));
}

/** The `encryptedToken` that answers an `endpoint.url_validation` challenge: hex HMAC-SHA256 of the plain token. */
export function zoomEncryptedToken(secretToken: string, plainToken: string): string {
  return createHmac('sha256', secretToken).update(plainToken).digest('hex');
}
