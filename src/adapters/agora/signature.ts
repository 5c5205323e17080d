import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Agora's notification (NCS) signatures (PROVIDERS.md §3.3): both are the lower-case hex HMAC of the raw
 * body keyed with the NCS secret from Agora Console; there is no timestamp header and nothing else is signed.
 */
export const AGORA_SIGNATURE_V2_HEADER = 'agora-signature-v2';

/** The older HMAC-SHA1 signature header, accepted only where the adapter is told to. */
export const AGORA_SIGNATURE_HEADER = 'agora-signature';

/** `sha256` for `Agora-Signature-V2`, `sha1` for `Agora-Signature`. */
export type AgoraSignatureAlgorithm = 'sha256' | 'sha1';

const HEX = /^[0-9a-fA-F]+$/;

/** The signature header value Agora sends for a body. */
export function signAgoraNotification(secret: string, rawBody: Uint8Array, algorithm: AgoraSignatureAlgorithm): string {
  return createHmac(algorithm, secret).update(rawBody).digest('hex');
}

/** Whether `signature` is Agora's signature of the body, compared in constant time. */
export function isAgoraSignatureValid(
  secret: string,
  rawBody: Uint8Array,
  signature: string,
  algorithm: AgoraSignatureAlgorithm,
): boolean {
  const given = signature.trim();
  if (!HEX.test(given)) return false;
  const expected = createHmac(algorithm, secret).update(rawBody).digest();
  const givenBytes = Buffer.from(given, 'hex');
  return givenBytes.length === expected.length && timingSafeEqual(givenBytes, expected);
}
