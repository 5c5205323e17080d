import type { CallChange, CallQuery, CallRecord } from '../calls/call-record.js';
import type { ErasedPersonalData, PersonalDataRecord } from './personal-data-vault.js';
import type { AuditEntry, AuditEntryInput } from './entry.js';
import type { SubtreeAddress } from './merkle.js';
import type { AuditVerification } from './verify.js';

/** The size and root of the log's Merkle tree at one moment. */
export interface TreeHead {
  /** Number of entries. */
  size: number;
  /** RFC 9162 root hash of those entries. */
  root: Uint8Array;
}

/** A device's exclusive claim on one live call. */
export interface DeviceLease {
  /** The device held. */
  deviceId: string;
  /** Who holds it: the verification id of the call on the device. */
  holder: string;
  /** Goes up each time the device changes hands, so stale holders can be told apart. */
  epoch: number;
  /** When the lease lapses unless renewed, in epoch milliseconds. */
  expiresAtMs: number;
  /** Set by `acquireLease` when it found a lease no server could have written and replaced it; the bridge reports it. */
  replacedCorrupt?: CorruptLease;
}

/** A lease row someone edited, as `acquireLease` found it before replacing it. */
export interface CorruptLease {
  /** `expiry-too-far`: it lapses later than any lease is granted for; `epoch-went-back`: a call on the device was fenced with a higher epoch. */
  reason: 'expiry-too-far' | 'epoch-went-back';
  /** The holder the row named. */
  holder: string;
  /** The epoch the row had. */
  epoch: number;
  /** The expiry the row had. */
  expiresAtMs: number;
}

/** A request to take (or, by the same holder, renew) a device lease. */
export interface LeaseRequest {
  /** The device wanted. */
  deviceId: string;
  /** Who wants it. */
  holder: string;
  /** How long the lease lasts from `nowMs`; at most `MAX_LEASE_TTL_MS`. */
  ttlMs: number;
  /** The caller's clock reading, in epoch milliseconds; a store that keeps one clock for all its servers (PostgreSQL's default) uses its own. */
  nowMs: number;
}

/**
 * Proof that a write comes from a device's lease holder: the epoch its lease was granted with. A store
 * accepts the write only while no later lease has been granted on the device.
 */
export interface LeaseFence {
  /** The device the writer holds. */
  deviceId: string;
  /** The epoch `acquireLease` returned to the writer. */
  epoch: number;
}

/** What else an append must check or write in its atomic step. */
export interface AppendOptions {
  /** Refuse the write (LEASE_LOST) unless the writer still holds the device's lease at this epoch. */
  fence?: LeaseFence;
  /** The change to the entry's call row (see `nextCallRecord`); the entry must name its verification. */
  call?: CallChange;
}

/** Which entries to read. */
export interface EntryQuery {
  /** Only this verification's entries. */
  verificationId?: string;
  /** Entries from this index on. */
  fromIndex?: number;
  /** At most this many. */
  limit?: number;
  /** Only entries of this type, e.g. `checkpoint.signed`. */
  type?: string;
  /** Newest first, so `limit: 1` is the latest match; read through the same index as oldest first. */
  newestFirst?: boolean;
}

/**
 * What the bridge needs from a database: the append-only evidence log, the call rows that index it,
 * and the device leases.
 * Every method is atomic on its own; implementations live in `verification-call-bridge/stores/*`.
 */
export interface BridgeStore {
  /** Short name of the implementation, e.g. `sqlite`. */
  readonly kind: string;
  /**
   * Appends one entry: assigns the next index and `at` (the caller's `atMs`, held back never below the
   * last entry's `at`), and records the tree size and root. Throws DUPLICATE_EVENT if an entry with the
   * same provider and providerEventId is already logged. With a `fence`, the check and the write are one
   * atomic step: LEASE_LOST if the device has since been leased with a higher epoch (or never with this one).
   * With a `call` change, the entry's call row is checked and written in the same step (CALL_CHANGED,
   * REFERENCE_TAKEN: see `nextCallRecord`); nothing is written if any check fails. A change that ends the
   * call (`ended`, `failed`) also releases its device's lease in that step, so the device is free the
   * moment the end is logged.
   */
  append(input: AuditEntryInput, atMs: number, options?: AppendOptions): Promise<AuditEntry>;
  /** The call row a query names (by an index, never a scan), or null. */
  findCall(query: CallQuery): Promise<CallRecord | null>;
  /** Every call row still live (neither ended nor failed), oldest first: what servers watch for orphans and expiry. */
  listLiveCalls(): Promise<CallRecord[]>;
  /** The current tree size and root. */
  head(): Promise<TreeHead>;
  /** Entries in index order. Callers that show them to a person log the read (see `readAuditLog`). */
  readEntries(query?: EntryQuery): Promise<AuditEntry[]>;
  /**
   * The leaf hashes recorded for entries `fromIndex` to `toIndex - 1`, in index order: what proofs are
   * built from. Throws INVALID_INPUT (see `assertLeafHashRange`) unless the range lies within the log.
   */
  readLeafHashes(fromIndex: number, toIndex: number): Promise<Uint8Array[]>;
  /**
   * The perfect subtree hashes kept with the entries that completed them (`prepareAppend`'s `subtrees`,
   * written in the append's atomic step), in the order asked; undefined for any not kept. Proofs and
   * checkpoints read these instead of every leaf, and compute any that is missing from the leaves.
   */
  readSubtreeHashes(addresses: readonly SubtreeAddress[]): Promise<(Uint8Array | undefined)[]>;
  /** Recomputes every leaf and root and reports the first index that does not match. */
  verify(): Promise<AuditVerification>;
  /** Keeps a personal-data value apart from the log; holding the same hash again keeps the later retention. */
  putPersonalData(record: PersonalDataRecord): Promise<void>;
  /** The value behind a keyed hash, or null when it was erased or never held. */
  getPersonalData(hash: string): Promise<PersonalDataRecord | null>;
  /** Deletes, beyond recovery by the store, every value whose retention ended by `nowMs`; returns what went. */
  erasePersonalData(nowMs: number): Promise<ErasedPersonalData[]>;
  /**
   * Takes the device for `holder`, or renews it if `holder` has it; null when someone else holds it, or
   * when a live call row of another verification is on the device (its lease may have lapsed because its
   * server died: that call is adopted or ended first, never doubled).
   */
  acquireLease(request: LeaseRequest): Promise<DeviceLease | null>;
  /** Releases the device if `holder` still holds it; true when a lease was released. */
  releaseLease(deviceId: string, holder: string): Promise<boolean>;
  /** The device's unexpired lease, if any. */
  currentLease(deviceId: string, nowMs: number): Promise<DeviceLease | null>;
  /** Releases the database; further calls fail. */
  close(): Promise<void>;
}
