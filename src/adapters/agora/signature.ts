import { createHmac } from 'node:crypto';
import { matchingSecret } from '../../index.js';

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

/**
 * The one of `secrets` that signed the body, or undefined when none did. During a rotation Agora may
 * sign with the new secret or the old, so every configured secret is tried.
 */
export function agoraSigningSecret(
  secrets: readonly string[],
  rawBody: Uint8Array,
  signature: string,
  algorithm: AgoraSignatureAlgorithm,
): string | undefined {
  const given = signature;
  // Buffer.from(…, 'hex') stops quietly at the first non-hex character and drops an odd last digit,
  // which would let trailing junk through.
  if (!HEX.test(given) || given.length % 2 !== 0) return undefined;
  return matchingSecret(secrets, Buffer.from(given, 'hex'), (secret) => createHmac(algorithm, secret).update(rawBody).digest());
}
