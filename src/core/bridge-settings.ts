import type { CallAdapter } from './adapter.js';
import type { BridgeStore } from './audit/store.js';
import { checkAdapters, checkPreference, checkRooms, knownProviderNames } from './bridge-config.js';
import type { BridgeOptions } from './bridge-types.js';
import { systemClock, type Clock } from './clock.js';
import { BridgeError } from './errors.js';
import { MAX_LEASE_TTL_MS } from './leases.js';
import { createPersonalDataHasher, type PersonalDataHasher } from './personal-data.js';
import { DEFAULT_POLL_DELAYS_MS, isPollDelays } from './poller.js';
import type { FailoverOptions } from './routing/route-and-create.js';
import type { OpsRoom } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A bridge's options, checked once and with every default filled in. @internal */
export interface BridgeSettings {
  store: BridgeStore;
  clock: Clock;
  adapters: readonly CallAdapter[];
  providers: ReadonlySet<string>;
  rooms: readonly OpsRoom[];
  preference: readonly string[];
  personalData: PersonalDataHasher;
  emergencyNumber: string;
  callTtlMs: number;
  referenceTtlMs: number;
  personalDataRetentionMs: number;
  pollDelaysMs: readonly number[];
  checkpointEveryMs: number;
  adoptAfterMs: number;
  failover: Required<FailoverOptions>;
  /** The adapter registered under a provider id or alias. */
  adapterFor(provider: string): CallAdapter | undefined;
}

/** Checks a bridge's options; anything unusable throws INVALID_CONFIG (or UNSUPPORTED_SPECIFICATION for an adapter). */
export function readBridgeSettings(options: BridgeOptions): BridgeSettings {
  checkAdapters(options.adapters);
  const providers = knownProviderNames(options.adapters);
  const pollDelaysMs = options.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS;
  if (!isPollDelays(pollDelaysMs)) throw new BridgeError('INVALID_CONFIG', 'pollDelaysMs must list positive whole milliseconds');
  const adapters = options.adapters;
  return {
    store: options.store,
    clock: options.clock ?? systemClock,
    adapters,
    providers,
    rooms: checkRooms(options.rooms, providers),
    preference: checkPreference(options.preference ?? [], providers),
    personalData: createPersonalDataHasher(options.personalDataKey),
    emergencyNumber: options.emergencyNumber ?? '999',
    callTtlMs: positive('callTtlMs', options.callTtlMs ?? 30 * MINUTE),
    referenceTtlMs: positive('referenceTtlMs', options.referenceTtlMs ?? 15 * MINUTE),
    personalDataRetentionMs: positive('personalDataRetentionMs', options.personalDataRetentionMs ?? 30 * 24 * HOUR),
    pollDelaysMs,
    checkpointEveryMs: positive('checkpoints.everyMs', options.checkpoints?.everyMs ?? 24 * HOUR),
    adoptAfterMs: atMost(MAX_LEASE_TTL_MS, positive('adoptAfterMs', options.adoptAfterMs ?? 30_000), 'adoptAfterMs'),
    failover: {
      attemptTimeoutMs: positive('failover.attemptTimeoutMs', options.failover?.attemptTimeoutMs ?? 5_000),
      budgetMs: positive('failover.budgetMs', options.failover?.budgetMs ?? 2_000),
    },
    adapterFor: (provider) => adapters.find((a) => a.provider === provider || a.aliases?.includes(provider)),
  };
}

// A lease longer than this would be taken for an edited one.
function atMost(limit: number, value: number, name: string): number {
  if (value > limit) throw new BridgeError('INVALID_CONFIG', `${name} must be at most ${limit} ms`);
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new BridgeError('INVALID_CONFIG', `${name} must be a positive whole number of milliseconds`);
  return value;
}
