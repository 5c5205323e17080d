import { entryFromColumns, type AuditEntry, type EntryColumns } from '../../index.js';

/**
 * One row per log entry. `idx` is the entry's index and the rowid; `leaf_hash` and `tree_root` are
 * what was computed at append time, so `verify()` can tell which row no longer matches.
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
CREATE TABLE IF NOT EXISTS device_leases (
  device_id TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
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

/** Rebuilds an entry from its columns; throws if they no longer form a valid entry. */
export function decodeEntryRow(row: EntryRow): AuditEntry {
  return entryFromColumns(row);
}
