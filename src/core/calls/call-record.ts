import { isTerminal, type CallState } from '../call-state.js';
import { BridgeError } from '../errors.js';

/**
 * The store's row for one verification's call: what any server sharing the store needs to find the
 * call (by id, provider call id or reference) and to act on it. The log holds every transition; this
 * row is its index, written in the same transaction as the entry that changes it.
 */
export interface CallRecord {
  /** The verification the call serves. */
  verificationId: string;
  /** The verification reference the officer gives; unique among unexpired references. */
  reference: string;
  /** When the reference stops being accepted, in epoch milliseconds. */
  referenceExpiresAtMs: number;
  /** Where the call is in its life, as of `version`. */
  state: CallState;
  /** Index of the newest entry appended with a change to this row; a writer names it to change the call (compare-and-set). */
  version: number;
  /** `at` of that entry, in epoch milliseconds. */
  updatedAtMs: number;
  /** When the call must be over, in epoch milliseconds. */
  expiresAtMs: number;
  /** The server carrying the call's background work (lease renewal, polls, expiry). */
  owner: string;
  /** The provider carrying the call, once routed. */
  provider?: string;
  /** The provider's id for the call, once created; webhooks are matched on it. */
  providerCallId?: string;
  /** The ops device taking the call, once routed. */
  deviceId?: string;
  /** The lease epoch the call holds its device with; writes for the call are fenced with it. */
  epoch?: number;
}

/** The fields a writer may set on a call; the store sets `version` and `updatedAtMs` from the entry. */
export type CallFields = Omit<CallRecord, 'verificationId' | 'version' | 'updatedAtMs'>;

/**
 * A change to a call's row, made atomically with the entry appended for it (`append(…, { call })`).
 * `expectedVersion: null` opens the call (its first entry): the row must not exist, every field is
 * needed, and the reference must not belong to another unexpired call (REFERENCE_TAKEN). Otherwise the
 * row must still be at `expectedVersion` (CALL_CHANGED if another writer got there first).
 */
export type CallChange =
  | { expectedVersion: null; set: CallFields }
  | { expectedVersion: number; set: Partial<CallFields> };

/** One way to find a call. */
export type CallQuery =
  | { verificationId: string }
  | { provider: string; providerCallId: string }
  /** The newest call given this reference. */
  | { reference: string };

/**
 * The rule every store applies inside the append's atomic step: checks the change against the row as it
 * stands and returns the row to write. `holderOfReference` is the newest other call with the same reference.
 */
export function nextCallRecord(
  current: CallRecord | undefined,
  change: CallChange,
  entry: { index: number; verificationId: string; atMs: number },
  holderOfReference?: CallRecord,
): CallRecord {
  if (change.expectedVersion === null) {
    if (current !== undefined) throw callChanged(entry.verificationId, 'is already open');
    if (holderOfReference !== undefined && holderOfReference.referenceExpiresAtMs > entry.atMs) {
      throw new BridgeError('REFERENCE_TAKEN', `reference ${change.set.reference} belongs to another unexpired verification`);
    }
    return { ...change.set, verificationId: entry.verificationId, version: entry.index, updatedAtMs: entry.atMs };
  }
  if (current === undefined) throw callChanged(entry.verificationId, 'has no call row');
  if (current.version !== change.expectedVersion) throw callChanged(entry.verificationId, `moved on to version ${current.version}`);
  return { ...current, ...definedFields(change.set), version: entry.index, updatedAtMs: entry.atMs };
}

/** Whether a call is still live (not ended or failed): it holds its device and its owner's attention. */
export function isLiveCall(record: Pick<CallRecord, 'state'>): boolean {
  return !isTerminal(record.state);
}

/** Throws INVALID_INPUT unless a call query names exactly one well-formed key. */
export function assertCallQuery(query: CallQuery): void {
  const text = (value: unknown) => typeof value === 'string' && value.length > 0;
  const q = query as Partial<Record<'verificationId' | 'provider' | 'providerCallId' | 'reference', unknown>>;
  const ok =
    (text(q.verificationId) && Object.keys(query).length === 1) ||
    (text(q.provider) && text(q.providerCallId) && Object.keys(query).length === 2) ||
    (text(q.reference) && Object.keys(query).length === 1);
  if (!ok) throw new BridgeError('INVALID_INPUT', 'a call query names a verificationId, a provider and providerCallId, or a reference');
}

/** Throws INVALID_INPUT unless an append carrying a call change names its verification, and an opening change its reference. */
export function assertCallChange(input: { verificationId?: string }, change: CallChange): void {
  const named = typeof input.verificationId === 'string' && input.verificationId.length > 0;
  const versioned = change.expectedVersion === null ? typeof change.set?.reference === 'string' : Number.isSafeInteger(change.expectedVersion);
  if (!named || !versioned) {
    throw new BridgeError('INVALID_INPUT', 'a call change needs an entry naming its verification and an expected version (null with a reference to open)');
  }
}

function definedFields(set: Partial<CallFields>): Partial<CallFields> {
  return Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined)) as Partial<CallFields>;
}

function callChanged(verificationId: string, why: string): BridgeError {
  return new BridgeError('CALL_CHANGED', `the call of verification ${verificationId} ${why}: read it again and retry`, {
    details: { verificationId },
  });
}
