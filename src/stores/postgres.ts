import type { Pool } from 'pg';
import {
  assertEntryQuery,
  assertLeafHashRange,
  assertCallChange,
  assertCallQuery,
  assertPersonalDataRecord,
  assertLeaseFence,
  assertLeaseRequest,
  BridgeError,
  MerkleFrontier,
  verifyStoredRowPages,
  type StoredRow,
  type AuditEntry,
  type BridgeStore,
  type EntryQuery,
} from '../index.js';
import { batchCommitter } from './postgres/append-batch.js';
import { AppendQueue } from './postgres/append-queue.js';
import { appendStatements } from './postgres/append-statement.js';
import { postgresCalls } from './postgres/calls.js';
import { openPool, storeError, type PoolSource } from './postgres/connection.js';
import { postgresLeases, type LeaseClock, type PostgresLeases } from './postgres/leases.js';
import { LogTail } from './postgres/log-tail.js';
import { migrate } from './postgres/migrate.js';
import { decodePgRow, tablesIn, type PgEntryRow, type Tables } from './postgres/schema.js';

export type { LeaseClock } from './postgres/leases.js';

/** Name of this store. */
export const STORE_NAME = 'postgres';

/** Options for {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** Where the database is, e.g. `postgres://vcb@db.internal/evidence`. @default process.env.DATABASE_URL */
  connectionString?: string;
  /** A `pg.Pool` the app already has, instead of `connectionString`; the store leaves it open on close. */
  pool?: Pool;
  /** Schema for the store's tables, created with them at first use if missing. @default 'verification_call_bridge' */
  schema?: string;
  /** Most connections the store's own pool opens (ignored with `pool`). @default 10 */
  maxConnections?: number;
  /**
   * Whose clock decides when a device lease lapses. `database`: the server's `clock_timestamp()`, so app
   * servers with skewed clocks agree, and each request's `nowMs` is not used. `caller`: `nowMs`, as in
   * the other stores (tests that move time by hand). @default 'database'
   */
  leaseClock?: LeaseClock;
}

// Entries one statement carries at most; the rest of a burst goes in the next.
const MAX_BATCH_APPENDS = 256;

/**
 * The store for several app servers sharing one log: appends from any number of processes form one
 * Merkle tree. The appends a process has waiting go together in one autocommit statement (group
 * commit), planned on the tail the process last saw and written only if it is still the tail; the
 * statement locks the tree's edge row for no longer than it runs, and call rows change in it with the
 * entries. Device leases are rows changed under `FOR UPDATE SKIP LOCKED`. Nothing is held beyond a
 * transaction, so it works behind PgBouncer in transaction mode. `pg` is loaded at first use.
 */
export default function postgresStore(options: PostgresStoreOptions = {}): BridgeStore {
  const source = poolSource(options);
  const tables = tablesIn(options.schema ?? 'verification_call_bridge');
  const calls = postgresCalls(tables);
  const leaseClock = options.leaseClock ?? 'database';
  if (leaseClock !== 'database' && leaseClock !== 'caller') {
    throw new BridgeError('INVALID_CONFIG', `leaseClock must be 'database' or 'caller', not ${JSON.stringify(leaseClock)}`);
  }
  let opened: Promise<OpenedStore> | undefined;
  let closed = false;
  const appends = new AppendQueue(
    batchCommitter(appendStatements(tables), new LogTail(tables), async () => (await open()).pool),
    MAX_BATCH_APPENDS,
  );

  function open(): Promise<OpenedStore> {
    opened ??= (async () => {
      const { pool, owned } = await openPool(source);
      try {
        await migrate(pool, tables);
      } catch (error) {
        if (owned) await pool.end().catch(() => undefined);
        throw error;
      }
      return { pool, owned, leases: postgresLeases(pool, tables, leaseClock, calls) };
    })().catch((error: unknown) => {
      // A database that was down at first use may be up at the next call.
      opened = undefined;
      throw error;
    });
    return opened;
  }

  async function run<T>(action: string, work: (pool: Pool, leases: PostgresLeases) => Promise<T>): Promise<T> {
    if (closed) throw new BridgeError('STORE_FAILED', 'the postgres store is closed');
    try {
      const { pool, leases } = await open();
      return await work(pool, leases);
    } catch (error) {
      throw storeError(error, action);
    }
  }

  return {
    kind: STORE_NAME,
    async append(input, atMs, options = {}) {
      if (options.fence) assertLeaseFence(options.fence);
      if (options.call) assertCallChange(input, options.call);
      if (closed) throw new BridgeError('STORE_FAILED', 'the postgres store is closed');
      return (await appends.submit({ input, atMs, options })).entry;
    },
    head: () =>
      run('read the tree head', async (pool) => {
        const last = (await pool.query<{ idx: string; tree_root: Buffer }>(`SELECT idx, tree_root FROM ${tables.entries} ORDER BY idx DESC LIMIT 1`)).rows[0];
        return last === undefined ? { size: 0, root: new MerkleFrontier().root() } : { size: Number(last.idx) + 1, root: last.tree_root };
      }),
    async readEntries(query: EntryQuery = {}): Promise<AuditEntry[]> {
      assertEntryQuery(query);
      return run('read entries', async (pool) => {
        const { rows } = await pool.query<PgEntryRow>(selectEntries(tables, query));
        return rows.map(decodeOrTampered);
      });
    },
    async readLeafHashes(fromIndex, toIndex) {
      return run('read leaf hashes', async (pool) => {
        const last = (await pool.query<{ idx: string }>(`SELECT idx FROM ${tables.entries} ORDER BY idx DESC LIMIT 1`)).rows[0];
        assertLeafHashRange(fromIndex, toIndex, last === undefined ? 0 : Number(last.idx) + 1);
        const { rows } = await pool.query<{ leaf_hash: Buffer }>(`SELECT leaf_hash FROM ${tables.entries} WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [
          fromIndex,
          toIndex,
        ]);
        if (rows.length !== toIndex - fromIndex) {
          throw new BridgeError('AUDIT_TAMPERED', `entries between ${fromIndex} and ${toIndex} are missing: the log was altered (run verify)`);
        }
        return rows.map((row) => Uint8Array.from(row.leaf_hash));
      });
    },
    readSubtreeHashes: (addresses) =>
      run('read subtree hashes', async (pool) => {
        if (addresses.length === 0) return [];
        const { rows } = await pool.query<{ level: number; idx: string; hash: Buffer }>(
          `SELECT level, idx, hash FROM ${tables.subtrees} WHERE (level, idx) IN (SELECT * FROM unnest($1::integer[], $2::bigint[]))`,
          [addresses.map((address) => address.level), addresses.map((address) => address.index)],
        );
        const found = new Map(rows.map((row) => [`${row.level}:${row.idx}`, row.hash]));
        return addresses.map(({ level, index }) => {
          const hash = found.get(`${level}:${index}`);
          return hash && Uint8Array.from(hash);
        });
      }),
    async putPersonalData(record) {
      assertPersonalDataRecord(record);
      await run('keep personal data', (pool) =>
        pool.query(
          `INSERT INTO ${tables.personalData} (hash, kind, value, retain_until_ms) VALUES ($1, $2, $3, $4)
           ON CONFLICT (hash) DO UPDATE SET retain_until_ms = greatest(${tables.personalData}.retain_until_ms, excluded.retain_until_ms)`,
          [record.hash, record.kind, record.value, record.retainUntilMs],
        ),
      );
    },
    getPersonalData: (hash) =>
      run('read personal data', async (pool) => {
        const row = (await pool.query<{ hash: string; kind: string; value: string; retain_until_ms: number }>(`SELECT * FROM ${tables.personalData} WHERE hash = $1`, [hash])).rows[0];
        return row ? { hash: row.hash, kind: row.kind, value: row.value, retainUntilMs: row.retain_until_ms } : null;
      }),
    erasePersonalData: (nowMs) =>
      // Deleted rows stay on disk until VACUUM reclaims them; the README says to run it after erasure.
      run('erase personal data', async (pool) => {
        const { rows } = await pool.query<{ hash: string; kind: string }>(`DELETE FROM ${tables.personalData} WHERE retain_until_ms <= $1 RETURNING hash, kind`, [nowMs]);
        return rows.map(({ hash, kind }) => ({ hash, kind }));
      }),
    verify: () => run('verify the log', async (pool) => verifyStoredRowPages(() => storedRowPages(pool, tables))),
    async findCall(query) {
      assertCallQuery(query);
      return run('find a call', (pool) => calls.find(pool, query));
    },
    listLiveCalls: () => run('list live calls', (pool) => calls.listLive(pool)),
    async acquireLease(request) {
      assertLeaseRequest(request);
      return run('take a device lease', (_pool, leases) => leases.acquire(request));
    },
    releaseLease: (deviceId, holder) => run('release a device lease', (_pool, leases) => leases.release(deviceId, holder)),
    currentLease: (deviceId, nowMs) => run('read a device lease', (_pool, leases) => leases.current(deviceId, nowMs)),
    async close() {
      if (closed) return;
      closed = true;
      const store = await opened?.catch(() => undefined);
      if (store?.owned) await store.pool.end();
    },
  };
}

interface OpenedStore {
  pool: Pool;
  owned: boolean;
  leases: PostgresLeases;
}

function poolSource(options: PostgresStoreOptions): PoolSource {
  if (options.pool !== undefined && options.connectionString !== undefined) {
    throw new BridgeError('INVALID_CONFIG', 'give the postgres store either pool or connectionString, not both');
  }
  if (options.pool !== undefined) return { pool: options.pool };
  const connectionString = options.connectionString ?? process.env.DATABASE_URL;
  if (connectionString === undefined || connectionString === '') {
    throw new BridgeError('INVALID_CONFIG', 'the postgres store needs connectionString (or DATABASE_URL in the environment) or pool');
  }
  const maxConnections = options.maxConnections ?? 10;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new BridgeError('INVALID_CONFIG', 'maxConnections must be a whole number of at least 1');
  }
  return { connectionString, maxConnections };
}

// Every query is built from a fixed text and numbered parameters, so adding a filter is one clause.
function selectEntries(tables: Tables, query: EntryQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [query.fromIndex ?? 0];
  const where = ['idx >= $1'];
  if (query.verificationId !== undefined) {
    values.push(query.verificationId);
    where.push(`verification_id = $${values.length}`);
  }
  if (query.type !== undefined) {
    values.push(query.type);
    where.push(`type = $${values.length}`);
  }
  let text = `SELECT * FROM ${tables.entries} WHERE ${where.join(' AND ')} ORDER BY idx ${query.newestFirst ? 'DESC' : 'ASC'}`;
  if (query.limit !== undefined) {
    values.push(query.limit);
    text += ` LIMIT $${values.length}`;
  }
  return { text, values };
}

const VERIFY_PAGE_ROWS = 1000;

// Keyset pages in index order: a million-entry log is verified holding a thousand rows at a time.
async function* storedRowPages(pool: Pool, tables: Tables): AsyncGenerator<StoredRow> {
  // From the lowest bigint, so a row inserted with a negative index is still read (and reported).
  let after = '-9223372036854775808';
  for (;;) {
    const { rows } = await pool.query<PgEntryRow>(`SELECT * FROM ${tables.entries} WHERE idx > $1 ORDER BY idx LIMIT ${VERIFY_PAGE_ROWS}`, [after]);
    for (const row of rows) yield { index: Number(row.idx), entry: () => decodePgRow(row), leafHash: row.leaf_hash, rootAfter: row.tree_root };
    if (rows.length < VERIFY_PAGE_ROWS) return;
    after = String(rows.at(-1)!.idx);
  }
}

function decodeOrTampered(row: PgEntryRow): AuditEntry {
  try {
    return decodePgRow(row);
  } catch (error) {
    throw new BridgeError('AUDIT_TAMPERED', `entry ${row.idx} no longer decodes: the log was altered (run verify)`, { cause: error });
  }
}
