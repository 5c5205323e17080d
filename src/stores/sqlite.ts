import Database from 'better-sqlite3';
import {
  assertEntryQuery,
  assertLeafHashRange,
  assertLeaseFence,
  assertLeaseRequest,
  assertPersonalDataRecord,
  BridgeError,
  checkLeaseFence,
  entryColumns,
  MerkleFrontier,
  nextLease,
  prepareAppend,
  verifyStoredRows,
  type AuditEntry,
  type AuditEntryInput,
  type BridgeStore,
  type DeviceLease,
  type EntryQuery,
  type LeaseFence,
  type StoredRow,
} from '../index.js';
import { decodeEntryRow, SCHEMA, type EntryRow, type LeaseRow, type PersonalDataRow } from './sqlite/schema.js';

/** Name of this store. */
export const STORE_NAME = 'sqlite';

/** Options for {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` keeps it in the process (tests only). @default 'verification-call-bridge.db' */
  filename?: string;
  /** How long a write waits for another process's transaction before failing. @default 5000 */
  busyTimeoutMs?: number;
}

// SQLite reports synchronous=FULL as 2.
const SYNCHRONOUS_FULL = 2;

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so an
 * acknowledged append survives power loss. Several processes may share the file: every append and
 * every lease change is one `BEGIN IMMEDIATE` transaction.
 */
export default function sqliteStore(options: SqliteStoreOptions = {}): BridgeStore {
  const filename = options.filename ?? 'verification-call-bridge.db';
  const db = openDatabase(filename, options.busyTimeoutMs ?? 5000);
  const statements = {
    tail: db.prepare<[], { idx: number; at: string }>('SELECT idx, at FROM audit_entries ORDER BY idx DESC LIMIT 1'),
    head: db.prepare<[], { idx: number; tree_root: Buffer }>('SELECT idx, tree_root FROM audit_entries ORDER BY idx DESC LIMIT 1'),
    leafHashesFrom: db.prepare<[number], { leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM audit_entries WHERE idx >= ? ORDER BY idx',
    ),
    insert: db.prepare(
      `INSERT INTO audit_entries (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
       VALUES (@idx, @verification_id, @type, @at, @provider_at, @source, @provider, @actor, @provider_event_id, @data, @leaf_hash, @tree_root)`,
    ),
    leafHashRange: db.prepare<[number, number], { leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx',
    ),
    select: db.prepare<{ verificationId: string | null; type: string | null; fromIndex: number; limit: number }, EntryRow>(
      `SELECT * FROM audit_entries WHERE (@verificationId IS NULL OR verification_id = @verificationId)
       AND (@type IS NULL OR type = @type) AND idx >= @fromIndex
       ORDER BY idx LIMIT @limit`,
    ),
    lease: db.prepare<[string], LeaseRow>('SELECT * FROM device_leases WHERE device_id = ?'),
    upsertLease: db.prepare(
      `INSERT INTO device_leases (device_id, holder, epoch, expires_at_ms) VALUES (@deviceId, @holder, @epoch, @expiresAtMs)
       ON CONFLICT(device_id) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, expires_at_ms = excluded.expires_at_ms`,
    ),
    release: db.prepare(
      'UPDATE device_leases SET expires_at_ms = 0 WHERE device_id = ? AND holder = ? AND expires_at_ms > 0',
    ),
    putPersonal: db.prepare(
      `INSERT INTO personal_data (hash, kind, value, retain_until_ms) VALUES (@hash, @kind, @value, @retainUntilMs)
       ON CONFLICT(hash) DO UPDATE SET retain_until_ms = max(retain_until_ms, excluded.retain_until_ms)`,
    ),
    getPersonal: db.prepare<[string], PersonalDataRow>('SELECT * FROM personal_data WHERE hash = ?'),
    erasePersonal: db.prepare<[number], Pick<PersonalDataRow, 'hash' | 'kind'>>('DELETE FROM personal_data WHERE retain_until_ms <= ? RETURNING hash, kind'),
  };
  // Trusted copy of the tree; re-synchronised inside each append in case another process appended.
  let frontier = new MerkleFrontier();

  function syncFrontier(size: number): MerkleFrontier {
    if (size === frontier.size) return frontier;
    const base = size > frontier.size ? frontier.clone() : new MerkleFrontier();
    for (const row of statements.leafHashesFrom.iterate(base.size)) base.append(row.leaf_hash);
    return base;
  }

  const appendTransaction = db.transaction((input: AuditEntryInput, atMs: number, fence: LeaseFence | undefined) => {
    const last = statements.tail.get();
    const current = syncFrontier(last === undefined ? 0 : last.idx + 1);
    const prepared = prepareAppend(input, atMs, { lastAt: last?.at, frontier: current });
    if (fence) checkLeaseFence(fence, statements.lease.get(fence.deviceId)?.epoch);
    const { entry } = prepared;
    statements.insert.run({
      ...entryColumns(entry),
      leaf_hash: Buffer.from(prepared.leafHash),
      tree_root: Buffer.from(prepared.rootAfter),
    });
    return prepared;
  });

  const leaseTransaction = db.transaction((request: Parameters<BridgeStore['acquireLease']>[0]) => {
    const row = statements.lease.get(request.deviceId);
    const lease = nextLease(row && leaseFromRow(row), request);
    if (lease) statements.upsertLease.run(lease);
    return lease;
  });

  const initialTail = statements.tail.get();
  frontier = syncFrontier(initialTail === undefined ? 0 : initialTail.idx + 1);

  function guard<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (BridgeError.isInstance(error)) throw error;
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new BridgeError('DUPLICATE_EVENT', 'that provider event is already logged', { cause: error });
      }
      throw new BridgeError('STORE_FAILED', `sqlite store could not ${action}`, { cause: error });
    }
  }

  function readRows(): Iterable<StoredRow> {
    const rows = db.prepare<[], EntryRow>('SELECT * FROM audit_entries ORDER BY idx').iterate();
    return (function* () {
      for (const row of rows) {
        yield { index: row.idx, entry: () => decodeEntryRow(row), leafHash: row.leaf_hash, rootAfter: row.tree_root };
      }
    })();
  }

  return {
    kind: STORE_NAME,
    async append(input, atMs, fence) {
      if (fence) assertLeaseFence(fence);
      const prepared = guard('append', () => appendTransaction.immediate(input, atMs, fence));
      frontier = prepared.frontier;
      return prepared.entry;
    },
    async head() {
      return guard('read the tree head', () => {
        const last = statements.head.get();
        return last === undefined ? { size: 0, root: new MerkleFrontier().root() } : { size: last.idx + 1, root: last.tree_root };
      });
    },
    async readEntries(query: EntryQuery = {}): Promise<AuditEntry[]> {
      assertEntryQuery(query);
      return guard('read entries', () => {
        const rows = statements.select.all({
          verificationId: query.verificationId ?? null,
          type: query.type ?? null,
          fromIndex: query.fromIndex ?? 0,
          limit: query.limit ?? -1,
        });
        return rows.map(decodeOrTampered);
      });
    },
    async readLeafHashes(fromIndex, toIndex) {
      return guard('read leaf hashes', () => {
        const last = statements.tail.get();
        assertLeafHashRange(fromIndex, toIndex, last === undefined ? 0 : last.idx + 1);
        const rows = statements.leafHashRange.all(fromIndex, toIndex);
        if (rows.length !== toIndex - fromIndex) {
          throw new BridgeError('AUDIT_TAMPERED', `entries between ${fromIndex} and ${toIndex} are missing: the log was altered (run verify)`);
        }
        return rows.map((row) => Uint8Array.from(row.leaf_hash));
      });
    },
    async putPersonalData(record) {
      assertPersonalDataRecord(record);
      guard('keep personal data', () => statements.putPersonal.run(record));
    },
    async getPersonalData(hash) {
      const row = guard('read personal data', () => statements.getPersonal.get(hash));
      return row ? { hash: row.hash, kind: row.kind, value: row.value, retainUntilMs: row.retain_until_ms } : null;
    },
    async erasePersonalData(nowMs) {
      return guard('erase personal data', () => {
        const erased = statements.erasePersonal.all(nowMs);
        // secure_delete zeroes the freed pages; the checkpoint then empties the WAL, which still held the old pages.
        if (erased.length > 0) db.pragma('wal_checkpoint(TRUNCATE)');
        return erased.map(({ hash, kind }) => ({ hash, kind }));
      });
    },
    async verify() {
      return guard('verify the log', () => verifyStoredRows(readRows));
    },
    async acquireLease(request) {
      assertLeaseRequest(request);
      return guard('take a device lease', () => leaseTransaction.immediate(request));
    },
    async releaseLease(deviceId, holder) {
      return guard('release a device lease', () => statements.release.run(deviceId, holder).changes > 0);
    },
    async currentLease(deviceId, nowMs): Promise<DeviceLease | null> {
      return guard('read a device lease', () => {
        const row = statements.lease.get(deviceId);
        return row && row.expires_at_ms > nowMs ? leaseFromRow(row) : null;
      });
    },
    async close() {
      db.close();
    },
  };
}

function openDatabase(filename: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(filename);
  } catch (error) {
    throw new BridgeError('STORE_FAILED', `cannot open SQLite database ${filename}`, { cause: error });
  }
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Erased personal data must not survive in freed pages of the file.
  db.pragma('secure_delete = ON');
  const synchronous = db.pragma('synchronous', { simple: true });
  if (synchronous !== SYNCHRONOUS_FULL) {
    db.close();
    throw new BridgeError('STORE_FAILED', `SQLite refused synchronous=FULL (it reports ${String(synchronous)})`);
  }
  db.exec(SCHEMA);
  return db;
}

function decodeOrTampered(row: EntryRow): AuditEntry {
  try {
    return decodeEntryRow(row);
  } catch (error) {
    throw new BridgeError('AUDIT_TAMPERED', `entry ${row.idx} no longer decodes: the log was altered (run verify)`, { cause: error });
  }
}

function leaseFromRow(row: LeaseRow): DeviceLease {
  return { deviceId: row.device_id, holder: row.holder, epoch: row.epoch, expiresAtMs: row.expires_at_ms };
}
