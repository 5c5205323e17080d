import { createHash, timingSafeEqual } from 'node:crypto';
import { BridgeError } from '../errors.js';

/**
 * A provider's webhook secret, or several during a rotation: every secret listed is accepted, so the
 * provider can be switched to a new one while deliveries signed with the old one are still in flight.
 */
export type WebhookSecrets = string | readonly string[];

/**
 * Whether two secrets, signatures or tokens are equal, in time that depends on neither value nor
 * length. Every comparison of a secret or a signature in the SDK goes through here, so there is one
 * place to get it right (a test fails if any adapter compares another way).
 */
export function secretsEqual(given: string | Uint8Array, expected: string | Uint8Array): boolean {
  // Hashing first gives both sides one length, which timingSafeEqual needs, without leaking either length.
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The first of `secrets` under which `sign` gives `given`, or undefined. Every secret is tried whatever
 * matches, so the time taken does not tell a caller which one (or whether an old one) matched.
 */
export function matchingSecret(
  secrets: readonly string[],
  given: string | Uint8Array,
  sign: (secret: string) => string | Uint8Array,
): string | undefined {
  let found: string | undefined;
  for (const secret of secrets) {
    if (secretsEqual(given, sign(secret)) && found === undefined) found = secret;
  }
  return found;
}

/**
 * The secrets an adapter option or, failing it, an environment variable holds, newest first. The
 * variable lists several separated by commas. INVALID_CONFIG when neither is set, for an empty list or
 * an empty secret, naming the option and never quoting a secret.
 */
export function readWebhookSecrets(value: WebhookSecrets | undefined, variable: string, option: string, provider: string): string[] {
  const fromEnv = process.env[variable];
  const raw = value ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv.split(','));
  if (raw === undefined) {
    throw new BridgeError('INVALID_CONFIG', `${provider} needs ${option} (or the ${variable} environment variable)`, { provider, details: { field: option } });
  }
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0 || list.some((secret) => typeof secret !== 'string' || secret.trim() === '')) {
    throw new BridgeError('INVALID_CONFIG', `${provider} ${option} must be a secret or a non-empty list of secrets`, {
      provider,
      details: { field: option },
    });
  }
  return list.map((secret) => secret.trim());
}

function digest(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}
