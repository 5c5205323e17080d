import { BridgeError, entryFromColumns, type AuditEntry, type EntryColumns } from '../../index.js';

// Two-key advisory locks live apart from one-key ones, so this prefix cannot collide with an app's
// `pg_advisory_xact_lock(bigint)`; it is "vcb\0" as a 32-bit integer.
const LOCK_NAMESPACE = 0x76636200;

/** The advisory key held while creating tables: one for the database, since migrations are rare and short. */
export const MIGRATION_LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, 0)`;

/** Quoted, schema-qualified table names for one schema. */
export interface Tables {
  schema: string;
  entries: string;
  leases: string;
  personalData: string;
  calls: string;
  edge: string;
  subtrees: string;
}

/** Checks a schema name and quotes the store's tables in it. */
export function tablesIn(schema: string): Tables {
  // Lower-case identifiers only: they need no case-folding rules to quote and match pg_namespace as given.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new BridgeError('INVALID_CONFIG', `schema ${JSON.stringify(schema)} must be a lower-case SQL identifier (a-z, 0-9, _)`);
  }
  return { schema, entries: `"${schema}".audit_entries`, leases: `"${schema}".device_leases`, personalData: `"${schema}".personal_data`, calls: `"${schema}".calls`, edge: `"${schema}".tree_edge`, subtrees: `"${schema}".tree_subtrees` };
}

/** The condition naming live call rows; queries repeat it word for word so the planner matches the partial indexes. */
export const LIVE = `state NOT IN ('ended', 'failed')`;

/**
 * The tables, created if missing. The same columns as the SQLite store; `data` is the JSON text as
 * written (not jsonb, which would rewrite numbers and key order). A lease row with epoch 0 stands for
 * a device never leased, so a lease change always has a row to lock; `expires_at_ms` is a double like
 * the JavaScript clock readings it holds. A call row's `opened_idx` is the index of its opening entry,
 * so "the newest call with this reference" and "oldest first" follow the log.
 */
export function schemaSql(tables: Tables): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${tables.entries} (
      idx bigint PRIMARY KEY CHECK (idx >= 0),
      verification_id text,
      type text NOT NULL,
      at text NOT NULL,
      provider_at text,
      source text NOT NULL,
      provider text,
      actor text,
      provider_event_id text,
      data text NOT NULL,
      leaf_hash bytea NOT NULL,
      tree_root bytea NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS audit_entries_by_verification ON ${tables.entries} (verification_id, idx)`,
    `CREATE INDEX IF NOT EXISTS audit_entries_by_type ON ${tables.entries} (type, idx)`,
    `CREATE UNIQUE INDEX IF NOT EXISTS ${PROVIDER_EVENT_INDEX} ON ${tables.entries} (provider, provider_event_id)
      WHERE provider_event_id IS NOT NULL`,
    // The tree's right edge after the last entry, written with each entry, so a starting process reads O(log n) hashes.
    // Its one row is also what appends claim (see append-statement.ts), and `last_at` lets a process that lost
    // that claim go on from the winner's tail without reading the log.
    `CREATE TABLE IF NOT EXISTS ${tables.edge} (
      id integer PRIMARY KEY CHECK (id = 1),
      size bigint NOT NULL,
      hashes bytea NOT NULL,
      last_at text
    )`,
    `ALTER TABLE ${tables.edge} ADD COLUMN IF NOT EXISTS last_at text`,
    // Perfect subtree hashes of 2^8 leaves and more, each written with the entry that completes it, so proofs read O(log n) of them.
    `CREATE TABLE IF NOT EXISTS ${tables.subtrees} (
      level integer NOT NULL,
      idx bigint NOT NULL,
      hash bytea NOT NULL,
      PRIMARY KEY (level, idx)
    )`,
    `CREATE TABLE IF NOT EXISTS ${tables.personalData} (
      hash text PRIMARY KEY,
      kind text NOT NULL,
      value text NOT NULL,
      retain_until_ms double precision NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS personal_data_by_expiry ON ${tables.personalData} (retain_until_ms)`,
    `CREATE TABLE IF NOT EXISTS ${tables.leases} (
      device_id text PRIMARY KEY,
      holder text NOT NULL,
      epoch bigint NOT NULL CHECK (epoch >= 0),
      expires_at_ms double precision NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${tables.calls} (
      verification_id text PRIMARY KEY,
      reference text NOT NULL,
      reference_expires_at_ms double precision NOT NULL,
      state text NOT NULL,
      version bigint NOT NULL CHECK (version >= 0),
      updated_at_ms double precision NOT NULL,
      expires_at_ms double precision NOT NULL,
      owner text NOT NULL,
      provider text,
      provider_call_id text,
      device_id text,
      epoch bigint,
      opened_idx bigint NOT NULL
    )`,
    `CREATE UNIQUE INDEX IF NOT EXISTS calls_by_provider_call ON ${tables.calls} (provider, provider_call_id) WHERE provider_call_id IS NOT NULL`,
    `CREATE INDEX IF NOT EXISTS calls_by_reference ON ${tables.calls} (reference, opened_idx)`,
    `CREATE INDEX IF NOT EXISTS calls_live ON ${tables.calls} (opened_idx) WHERE ${LIVE}`,
    `CREATE INDEX IF NOT EXISTS calls_live_by_device ON ${tables.calls} (device_id) WHERE ${LIVE}`,
    `CREATE INDEX IF NOT EXISTS calls_by_device_epoch ON ${tables.calls} (device_id, epoch)`,
  ];
}

/** The unique index whose violation means a provider event is already logged. */
export const PROVIDER_EVENT_INDEX = 'audit_entries_provider_event';

/** The database's clock in epoch milliseconds, read when the statement runs (not when the transaction began). */
export const DATABASE_NOW_MS = `floor(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** An `audit_entries` row as pg returns it: bigint as a string, bytea as a Buffer. */
export interface PgEntryRow extends Omit<EntryColumns, 'idx'> {
  idx: string;
  leaf_hash: Buffer;
  tree_root: Buffer;
}

/** Rebuilds an entry from a row; throws if its columns no longer form a valid entry. */
export function decodePgRow(row: PgEntryRow): AuditEntry {
  return entryFromColumns({ ...row, idx: Number(row.idx) });
}
