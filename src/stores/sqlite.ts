import {
  assertEntryQuery,
  assertLeafHashRange,
  assertCallChange,
  assertCallQuery,
  assertLeaseFence,
  assertLeaseRequest,
  assertPersonalDataRecord,
  BridgeError,
  MerkleFrontier,
  sealEntry,
  standingLease,
  verifyStoredRows,
  type AuditEntry,
  type BridgeStore,
  type DeviceLease,
  type EntryQuery,
  type StoredRow,
} from '../index.js';
import { callFromRow, decodeEntryRow, leaseFromRow, LIVE, type CallRow, type EntryRow, type LeaseRow, type PersonalDataRow } from './sqlite/schema.js';
import { entrySelect } from './sqlite/entry-select.js';
import { GroupCommit } from './sqlite/group-commit.js';
import { guard, openDatabase, storeError } from './sqlite/connection.js';
import { createWriter, type AppendRequest } from './sqlite/writer.js';
import { inlineWriter, WriterThread, type WriterLink } from './sqlite/writer-client.js';

/** Name of this store. */
export const STORE_NAME = 'sqlite';

/** Options for {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` keeps it in the process (tests only). @default 'verification-call-bridge.db' */
  filename?: string;
  /** How long a write waits for another process's transaction before failing. @default 5000 */
  busyTimeoutMs?: number;
}

// Any valid instant: an input is sealed once here only to refuse it before it is queued.
const VALIDATION_AT = '2000-01-01T00:00:00.000Z';

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so an
 * acknowledged append survives power loss. Several processes may share the file: every append (with
 * the call row it changes) and every lease change is one `BEGIN IMMEDIATE` transaction. Every write
 * runs on a writer thread with its own connection, so an fsync never blocks the event loop; appends
 * made while a transaction commits share the next one. Reads stay on this thread: WAL readers never
 * wait for the writer.
 */
export default function sqliteStore(options: SqliteStoreOptions = {}): BridgeStore {
  const filename = options.filename ?? 'verification-call-bridge.db';
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const db = openDatabase(filename, busyTimeoutMs);
  let writer: WriterLink;
  try {
    writer = filename === ':memory:' ? inlineWriter(createWriter(db)) : new WriterThread({ filename, busyTimeoutMs });
  } catch (error) {
    db.close();
    throw storeError('start its writer', error);
  }
  const selectEntries = entrySelect(db);
  const statements = {
    tail: db.prepare<[], { idx: number }>('SELECT idx FROM audit_entries ORDER BY idx DESC LIMIT 1'),
    head: db.prepare<[], { idx: number; tree_root: Buffer }>('SELECT idx, tree_root FROM audit_entries ORDER BY idx DESC LIMIT 1'),
    leafHashRange: db.prepare<[number, number], { leaf_hash: Buffer }>(
      'SELECT leaf_hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx',
    ),
    subtree: db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM tree_subtrees WHERE level = ? AND idx = ?'),
    lease: db.prepare<[string], LeaseRow>('SELECT * FROM device_leases WHERE device_id = ?'),
    getPersonal: db.prepare<[string], PersonalDataRow>('SELECT * FROM personal_data WHERE hash = ?'),
    call: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE verification_id = ?'),
    callByProvider: db.prepare<[string, string], CallRow>('SELECT * FROM calls WHERE provider = ? AND provider_call_id = ?'),
    newestCallWithReference: db.prepare<[string, string | null], CallRow>(
      'SELECT * FROM calls WHERE reference = ? AND verification_id IS NOT ? ORDER BY opened_idx DESC LIMIT 1',
    ),
    liveCalls: db.prepare<[], CallRow>(`SELECT * FROM calls WHERE ${LIVE} ORDER BY opened_idx`),
  };
  const appends = new GroupCommit<AppendRequest, AuditEntry>((requests) => writer.appendBatch(requests));

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
    async append(input, atMs, options = {}) {
      // Refused here, before the thread copies it: a copy turns a class instance into a plain object.
      sealEntry(input, 0, VALIDATION_AT);
      if (options.fence) assertLeaseFence(options.fence);
      if (options.call) assertCallChange(input, options.call);
      return appends.submit({ input, atMs, options });
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
        return selectEntries(query).map(decodeOrTampered);
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
    async readSubtreeHashes(addresses) {
      return guard('read subtree hashes', () =>
        addresses.map(({ level, index }) => {
          const row = statements.subtree.get(level, index);
          return row && Uint8Array.from(row.hash);
        }),
      );
    },
    async putPersonalData(record) {
      assertPersonalDataRecord(record);
      await writer.putPersonalData(record);
    },
    async getPersonalData(hash) {
      const row = guard('read personal data', () => statements.getPersonal.get(hash));
      return row ? { hash: row.hash, kind: row.kind, value: row.value, retainUntilMs: row.retain_until_ms } : null;
    },
    async erasePersonalData(nowMs) {
      return writer.erasePersonalData(nowMs);
    },
    async verify() {
      return guard('verify the log', () => verifyStoredRows(readRows));
    },
    async findCall(query) {
      assertCallQuery(query);
      return guard('find a call', () => {
        const row =
          'verificationId' in query
            ? statements.call.get(query.verificationId)
            : 'reference' in query
              ? statements.newestCallWithReference.get(query.reference, null)
              : statements.callByProvider.get(query.provider, query.providerCallId);
        return row ? callFromRow(row) : null;
      });
    },
    async listLiveCalls() {
      return guard('list live calls', () => statements.liveCalls.all().map(callFromRow));
    },
    async acquireLease(request) {
      assertLeaseRequest(request);
      return writer.acquireLease(request);
    },
    async releaseLease(deviceId, holder) {
      return writer.releaseLease(deviceId, holder);
    },
    async currentLease(deviceId, nowMs): Promise<DeviceLease | null> {
      return guard('read a device lease', () => {
        const row = statements.lease.get(deviceId);
        return standingLease(row && leaseFromRow(row), nowMs);
      });
    },
    async close() {
      // Appends already made are written first; only then do the thread and this connection go.
      await appends.drain();
      try {
        await writer.close();
      } finally {
        db.close();
      }
    },
  };
}

function decodeOrTampered(row: EntryRow): AuditEntry {
  try {
    return decodeEntryRow(row);
  } catch (error) {
    throw new BridgeError('AUDIT_TAMPERED', `entry ${row.idx} no longer decodes: the log was altered (run verify)`, { cause: error });
  }
}
