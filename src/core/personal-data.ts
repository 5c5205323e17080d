import { createHmac } from 'node:crypto';
import { BridgeError } from './errors.js';

/** Minimum key length: HMAC-SHA256 is only as strong as its key. */
const MIN_KEY_BYTES = 32;

/** Turns personal data into keyed hashes, so the log can match a handle without ever holding it. */
export interface PersonalDataHasher {
  /** `hmac-sha256:<hex>` of `kind` and an already-normalised value. */
  hash(kind: string, normalisedValue: string): string;
}

/**
 * A hasher keyed with the deployment's secret (raw bytes, or base64 text of at least 32 bytes).
 * The same secret must be used for the life of a log, or hashes stop matching.
 */
export function createPersonalDataHasher(secret: string | Uint8Array): PersonalDataHasher {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'base64') : Buffer.from(secret);
  if (key.byteLength < MIN_KEY_BYTES) {
    throw new BridgeError('INVALID_CONFIG', `the personal-data key must be at least ${MIN_KEY_BYTES} bytes (base64 text or bytes)`);
  }
  return {
    hash(kind, normalisedValue) {
      // The kind is part of the message so a phone number and an app handle never share a hash.
      const digest = createHmac('sha256', key).update(`${kind}\u0000${normalisedValue}`).digest('hex');
      return `hmac-sha256:${digest}`;
    },
  };
}
