import type { AdapterHealth } from '../adapter.js';
import type { BridgeError } from '../errors.js';

/** Settings for {@link createHealthTracker}. */
export interface HealthTrackerOptions {
  /** Consecutive unavailability failures before the provider is reported unhealthy. @default 3 */
  failureThreshold?: number;
  /** How long an unavailable provider stays unhealthy before the router may try it again. @default 30000 */
  cooldownMs?: number;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** Tracks an adapter's health from the outcomes of its requests. */
export interface HealthTracker {
  /** Records the outcome of one request (undefined for success). */
  record(error: BridgeError | undefined): void;
  /** The health to report to the router. */
  status(): AdapterHealth;
}

/**
 * A refused credential makes the adapter unhealthy until a request succeeds again: retrying cannot fix
 * it, and a person must be told. Repeated unavailability makes it unhealthy for a cooldown only.
 */
export function createHealthTracker(options: HealthTrackerOptions = {}): HealthTracker {
  const failureThreshold = options.failureThreshold ?? 3;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  let credentialFailure: string | undefined;
  let consecutiveFailures = 0;
  let unavailableUntil = 0;
  let lastFailure: string | undefined;

  return {
    record(error) {
      if (error === undefined) {
        credentialFailure = undefined;
        consecutiveFailures = 0;
        unavailableUntil = 0;
        return;
      }
      if (error.code === 'PROVIDER_CREDENTIALS_INVALID') {
        credentialFailure = `credentials refused (HTTP ${error.statusCode ?? '?'}): ${error.message}; a person must fix the credential`;
        return;
      }
      if (error.code !== 'PROVIDER_UNAVAILABLE') return;
      consecutiveFailures += 1;
      lastFailure = error.message;
      if (consecutiveFailures >= failureThreshold) unavailableUntil = now() + cooldownMs;
    },
    status() {
      if (credentialFailure !== undefined) return { ok: false, reason: credentialFailure, credentialsInvalid: true };
      if (now() < unavailableUntil) {
        return { ok: false, reason: `${consecutiveFailures} consecutive failures, last: ${lastFailure ?? 'unknown'}` };
      }
      return { ok: true };
    },
  };
}
