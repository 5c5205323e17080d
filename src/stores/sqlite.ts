import {
  assertEntryQuery,
  assertLeafHashRange,
  assertCallChange,
  assertCallQuery,
  assertLeaseFence,
  assertLeaseRequest,
  assertPersonalDataRecord,
  BridgeError,
  checkLeaseFence,
  entryColumns,
  isLiveCall,
  MerkleFrontier,
  sameHash,
  nextCallRecord,
  nextLease,
  standingLease,
  prepareAppend,
  verifyStoredRows,
  type AppendOptions,
  type AuditEntry,
  type AuditEntryInput,
  type BridgeStore,
  type CallChange,
  type DeviceLease,
  type EntryQuery,
  type StoredRow,
} from '../index.js';
import {
  callColumns,
  callFromRow,
  decodeEntryRow,
  LIVE,
  type CallRow,
  type EntryRow,
  type LeaseRow,
  type PersonalDataRow,
} from './sqlite/schema.js';
import { entrySelect } from './sqlite/entry-select.js';
import { GroupCommit, type BatchOutcome } from './sqlite/group-commit.js';
import { openDatabase, storeError } from './sqlite/connection.js';

/** Name of this store. */
export const STORE_NAME = 'sqlite';

/** Options for {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file; `:memory:` keeps it in the process (tests only). @default 'verification-call-bridge.db' */
  filename?: string;
  /** How long a write waits for another process's transaction before failing. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, so an
 * acknowledged append survives power loss. Several processes may share the file: every append (with
 * the call row it changes) and every lease change is one `BEGIN IMMEDIATE` transaction.
 */
interface AppendRequest {
  input: AuditEntryInput;
  atMs: number;
  options: AppendOptions;
}

type PreparedAppend = ReturnType<typeof prepareAppend>;

export default function sqliteStore(options: SqliteStoreOptions = {}): BridgeStore {
  const filename = options.filename ?? 'verification-call-bridge.db';
  const db = openDatabase(filename, options.busyTimeoutMs ?? 5000);
  const selectEntries = entrySelect(db);
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
    edge: db.prepare<[], { size: number; hashes: Buffer }>('SELECT size, hashes FROM tree_edge WHERE id = 1'),
    putEdge: db.prepare<[number, Buffer]>(
      'INSERT INTO tree_edge (id, size, hashes) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes',
    ),
    // Replacing, so after a truncation the kept hashes follow the entries written since.
    putSubtree: db.prepare<[number, number, Buffer]>('INSERT OR REPLACE INTO tree_subtrees (level, idx, hash) VALUES (?, ?, ?)'),
    subtree: db.prepare<[number, number], { hash: Buffer }>('SELECT hash FROM tree_subtrees WHERE level = ? AND idx = ?'),
    rootAt: db.prepare<[number], { tree_root: Buffer }>('SELECT tree_root FROM audit_entries WHERE idx = ?'),
    lease: db.prepare<[string], LeaseRow>('SELECT * FROM device_leases WHERE device_id = ?'),
    highestCallEpoch: db.prepare<[string], { epoch: number | null }>('SELECT MAX(epoch) AS epoch FROM calls WHERE device_id = ?'),
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
    call: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE verification_id = ?'),
    callByProvider: db.prepare<[string, string], CallRow>('SELECT * FROM calls WHERE provider = ? AND provider_call_id = ?'),
    newestCallWithReference: db.prepare<[string, string | null], CallRow>(
      'SELECT * FROM calls WHERE reference = ? AND verification_id IS NOT ? ORDER BY opened_idx DESC LIMIT 1',
    ),
    liveCalls: db.prepare<[], CallRow>(`SELECT * FROM calls WHERE ${LIVE} ORDER BY opened_idx`),
    liveCallOnDevice: db.prepare<[string, string], { one: number }>(
      `SELECT 1 AS one FROM calls WHERE device_id = ? AND verification_id <> ? AND ${LIVE} LIMIT 1`,
    ),
    // An opening entry's index is both the call's first version and its place in the order of opens.
    openCall: db.prepare(
      `INSERT INTO calls (verification_id, reference, reference_expires_at_ms, state, version, updated_at_ms, expires_at_ms, owner, provider, provider_call_id, device_id, epoch, opened_idx)
       VALUES (@verification_id, @reference, @reference_expires_at_ms, @state, @version, @updated_at_ms, @expires_at_ms, @owner, @provider, @provider_call_id, @device_id, @epoch, @version)`,
    ),
    updateCall: db.prepare(
      `UPDATE calls SET reference = @reference, reference_expires_at_ms = @reference_expires_at_ms, state = @state, version = @version,
       updated_at_ms = @updated_at_ms, expires_at_ms = @expires_at_ms, owner = @owner, provider = @provider,
       provider_call_id = @provider_call_id, device_id = @device_id, epoch = @epoch
       WHERE verification_id = @verification_id`,
    ),
  };
  // Trusted copy of the tree; re-synchronised inside each append in case another process appended.
  let frontier = new MerkleFrontier();

  function syncFrontier(size: number): MerkleFrontier {
    if (size === frontier.size) return frontier;
    const stored = storedEdge(size);
    if (stored) return stored;
    // A log written before the edge was kept, or an edge that does not match the log: replay the leaves.
    const base = size > frontier.size ? frontier.clone() : new MerkleFrontier();
    for (const row of statements.leafHashesFrom.iterate(base.size)) base.append(row.leaf_hash);
    return base;
  }

  // Trusted only when it gives the root recorded with the last entry; verify() still recomputes everything.
  function storedEdge(size: number): MerkleFrontier | undefined {
    const row = statements.edge.get();
    if (row === undefined || row.size !== size || size === 0) return undefined;
    const edge = MerkleFrontier.fromEdge(size, row.hashes);
    const recorded = statements.rootAt.get(size - 1)?.tree_root;
    return edge && recorded && sameHash(edge.root(), recorded) ? edge : undefined;
  }

  const appendTransaction = db.transaction((input: AuditEntryInput, atMs: number, { fence, call }: AppendOptions) => {
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
    statements.putEdge.run(prepared.frontier.size, Buffer.from(prepared.frontier.edgeBytes()));
    for (const { level, index, hash } of prepared.subtrees) statements.putSubtree.run(level, index, Buffer.from(hash));
    // After the insert, so a repeated provider event is reported as such; a refused change rolls the insert back.
    if (call) writeCall(call, { index: entry.index, verificationId: entry.verificationId!, atMs: Date.parse(entry.at) });
    return prepared;
  });

  function writeCall(change: CallChange, entry: { index: number; verificationId: string; atMs: number }): void {
    const row = statements.call.get(entry.verificationId);
    const holder = change.expectedVersion === null ? statements.newestCallWithReference.get(change.set.reference, entry.verificationId) : undefined;
    const next = nextCallRecord(row && callFromRow(row), change, entry, holder && callFromRow(holder));
    (row === undefined ? statements.openCall : statements.updateCall).run(callColumns(next));
    // The call's end frees its device in the same transaction.
    if (!isLiveCall(next) && next.deviceId !== undefined) statements.release.run(next.deviceId, next.verificationId);
  }

  const leaseTransaction = db.transaction((request: Parameters<BridgeStore['acquireLease']>[0]) => {
    // A live call of another verification keeps its device even when its lease lapsed (its server died).
    if (statements.liveCallOnDevice.get(request.deviceId, request.holder)) return null;
    const row = statements.lease.get(request.deviceId);
    const lease = nextLease(row && leaseFromRow(row), request, statements.highestCallEpoch.get(request.deviceId)?.epoch ?? 0);
    if (lease) statements.upsertLease.run({ deviceId: lease.deviceId, holder: lease.holder, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs });
    return lease;
  });

  const initialTail = statements.tail.get();
  frontier = syncFrontier(initialTail === undefined ? 0 : initialTail.idx + 1);

  function guard<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw storeError(action, error);
    }
  }

  // Each append is a savepoint inside the batch's one transaction, so one refused append rolls back alone.
  const appendBatch = db.transaction((requests: readonly AppendRequest[]): BatchOutcome<PreparedAppend>[] =>
    requests.map(({ input, atMs, options }) => {
      try {
        const prepared = appendTransaction(input, atMs, options);
        frontier = prepared.frontier;
        return { ok: true, value: prepared };
      } catch (error) {
        return { ok: false, error: storeError('append', error) };
      }
    }),
  );
  const appends = new GroupCommit<AppendRequest, PreparedAppend>((requests) => {
    const before = frontier;
    try {
      return appendBatch.immediate(requests);
    } catch (error) {
      // Nothing of the batch was committed: the tree is as it was before it.
      frontier = before;
      throw storeError('append', error);
    }
  });

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
      if (options.fence) assertLeaseFence(options.fence);
      if (options.call) assertCallChange(input, options.call);
      return (await appends.submit({ input, atMs, options })).entry;
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
      return guard('take a device lease', () => leaseTransaction.immediate(request));
    },
    async releaseLease(deviceId, holder) {
      return guard('release a device lease', () => statements.release.run(deviceId, holder).changes > 0);
    },
    async currentLease(deviceId, nowMs): Promise<DeviceLease | null> {
      return guard('read a device lease', () => {
        const row = statements.lease.get(deviceId);
        return standingLease(row && leaseFromRow(row), nowMs);
      });
    },
    async close() {
      db.close();
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

function leaseFromRow(row: LeaseRow): DeviceLease {
  return { deviceId: row.device_id, holder: row.holder, epoch: row.epoch, expiresAtMs: row.expires_at_ms };
}
