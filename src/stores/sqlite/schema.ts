import { entryFromColumns, type AuditEntry, type CallColumns, type CallRecord, type CallState, type DeviceLease, type EntryColumns } from '../../index.js';

/** The condition naming live call rows; queries repeat it word for word so SQLite uses the partial indexes. */
export const LIVE = `state NOT IN ('ended', 'failed')`;

/**
 * One row per log entry. `idx` is the entry's index and the rowid; `leaf_hash` and `tree_root` are
 * what was computed at append time, so `verify()` can tell which row no longer matches. One row per
 * call, written in the append of the entry that changes it; `opened_idx` is the index of the call's
 * opening entry, so "the newest call with this reference" and "oldest first" follow the log.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_entries (
  idx INTEGER PRIMARY KEY,
  verification_id TEXT,
  type TEXT NOT NULL,
  at TEXT NOT NULL,
  provider_at TEXT,
  source TEXT NOT NULL,
  provider TEXT,
  actor TEXT,
  provider_event_id TEXT,
  data TEXT NOT NULL,
  leaf_hash BLOB NOT NULL,
  tree_root BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_entries_by_verification ON audit_entries (verification_id, idx);
CREATE INDEX IF NOT EXISTS audit_entries_by_type ON audit_entries (type, idx);
CREATE UNIQUE INDEX IF NOT EXISTS audit_entries_provider_event
  ON audit_entries (provider, provider_event_id) WHERE provider_event_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS personal_data (
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  retain_until_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS personal_data_by_expiry ON personal_data (retain_until_ms);
-- The tree's right edge after the last entry, written by every append in its transaction, so a process
-- that starts (or finds that another appended) reads O(log n) hashes instead of every leaf hash.
CREATE TABLE IF NOT EXISTS tree_edge (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  hashes BLOB NOT NULL
);
-- Perfect subtree hashes of 2^8 leaves and more, each written with the entry that completes it, so
-- proofs and checkpoints read O(log n) of them instead of every leaf hash.
CREATE TABLE IF NOT EXISTS tree_subtrees (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_leases (
  device_id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
  verification_id TEXT PRIMARY KEY,
  reference TEXT NOT NULL,
  reference_expires_at_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  owner TEXT NOT NULL,
  provider TEXT,
  provider_call_id TEXT,
  device_id TEXT,
  epoch INTEGER,
  opened_idx INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS calls_by_provider_call ON calls (provider, provider_call_id) WHERE provider_call_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS calls_by_reference ON calls (reference, opened_idx);
CREATE INDEX IF NOT EXISTS calls_live ON calls (opened_idx) WHERE ${LIVE};
CREATE INDEX IF NOT EXISTS calls_live_by_device ON calls (device_id) WHERE ${LIVE};
CREATE INDEX IF NOT EXISTS calls_by_device_epoch ON calls (device_id, epoch);
`;

/** An `audit_entries` row as better-sqlite3 returns it. */
export interface EntryRow extends EntryColumns {
  leaf_hash: Buffer;
  tree_root: Buffer;
}

/** A `personal_data` row. */
export interface PersonalDataRow {
  hash: string;
  kind: string;
  value: string;
  retain_until_ms: number;
}

/** A `device_leases` row. */
export interface LeaseRow {
  device_id: string;
  holder: string;
  epoch: number;
  expires_at_ms: number;
}

/** Rebuilds a lease from its row. */
export function leaseFromRow(row: LeaseRow): DeviceLease {
  return { deviceId: row.device_id, holder: row.holder, epoch: row.epoch, expiresAtMs: row.expires_at_ms };
}

/** Rebuilds an entry from its columns; throws if they no longer form a valid entry. */
export function decodeEntryRow(row: EntryRow): AuditEntry {
  return entryFromColumns(row);
}

/** A `calls` row. */
export interface CallRow extends CallColumns {
  opened_idx: number;
}

/** Rebuilds a call record from its row; a NULL column is a field never set. */
export function callFromRow(row: CallRow): CallRecord {
  return {
    verificationId: row.verification_id,
    reference: row.reference,
    referenceExpiresAtMs: row.reference_expires_at_ms,
    state: row.state,
    version: row.version,
    updatedAtMs: row.updated_at_ms,
    expiresAtMs: row.expires_at_ms,
    owner: row.owner,
    ...(row.provider === null ? {} : { provider: row.provider }),
    ...(row.provider_call_id === null ? {} : { providerCallId: row.provider_call_id }),
    ...(row.device_id === null ? {} : { deviceId: row.device_id }),
    ...(row.epoch === null ? {} : { epoch: row.epoch }),
  };
}
