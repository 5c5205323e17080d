import type Database from 'better-sqlite3';
import {
  callColumns,
  checkLeaseFence,
  entryColumns,
  isLiveCall,
  MerkleFrontier,
  nextCallRecord,
  nextLease,
  prepareAppend,
  sameHash,
  type AppendOptions,
  type AuditEntry,
  type AuditEntryInput,
  type CallChange,
  type DeviceLease,
  type ErasedPersonalData,
  type LeaseRequest,
  type LogTail,
  type PreparedAppend,
  type PersonalDataRecord,
} from '../../index.js';
import { guard, storeError } from './connection.js';
import type { BatchOutcome } from './group-commit.js';
import { callFromRow, leaseFromRow, LIVE, type CallRow, type LeaseRow } from './schema.js';

/** One append as the store hands it to the writer. */
export interface AppendRequest {
  input: AuditEntryInput;
  atMs: number;
  options: AppendOptions;
}

/** Every write of the SQLite store, on one connection; each returns once its transaction committed. */
export interface SqliteWriter {
  /** Appends in one transaction, a savepoint each, so a refused append fails alone. */
  appendBatch(requests: readonly AppendRequest[]): BatchOutcome<AuditEntry>[];
  /** {@link BridgeStore.acquireLease} as one `BEGIN IMMEDIATE` transaction. */
  acquireLease(request: LeaseRequest): DeviceLease | null;
  /** {@link BridgeStore.releaseLease}. */
  releaseLease(deviceId: string, holder: string): boolean;
  /** {@link BridgeStore.putPersonalData}. */
  putPersonalData(record: PersonalDataRecord): void;
  /** {@link BridgeStore.erasePersonalData}. */
  erasePersonalData(nowMs: number): ErasedPersonalData[];
  /** Closes the connection. */
  close(): void;
}

/** The writer over an open connection; the tree is read from the file and re-synchronised in each append. */
export function createWriter(db: Database.Database): SqliteWriter {
  const statements = prepareWrites(db);
  // Trusted copy of the tree; re-synchronised inside each batch in case another process appended.
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

  // One append on the tree and tail the batch has reached. A failed insert (a repeated event) undoes
  // itself; an append that writes more after its entry (a call change, a completed subtree) runs in a
  // savepoint, so a refusal or failure after the insert takes the entry back out with it.
  function appendOne({ input, atMs, options: { fence, call } }: AppendRequest, tail: LogTail): PreparedAppend {
    const prepared = prepareAppend(input, atMs, tail);
    if (fence) checkLeaseFence(fence, statements.lease.get(fence.deviceId)?.epoch);
    (call !== undefined || prepared.subtrees.length > 0 ? writeInSavepoint : writeEntry)(prepared, call);
    return prepared;
  }

  function writeEntry({ entry, leafHash, rootAfter, subtrees }: PreparedAppend, call: CallChange | undefined): void {
    statements.insert.run({ ...entryColumns(entry), leaf_hash: Buffer.from(leafHash), tree_root: Buffer.from(rootAfter) });
    for (const { level, index, hash } of subtrees) statements.putSubtree.run(level, index, Buffer.from(hash));
    // After the insert, so a repeated provider event is reported as such; a refused change rolls the insert back.
    if (call) writeCall(call, { index: entry.index, verificationId: entry.verificationId!, atMs: Date.parse(entry.at) });
  }
  const writeInSavepoint = db.transaction(writeEntry);

  function writeCall(change: CallChange, entry: { index: number; verificationId: string; atMs: number }): void {
    const row = statements.call.get(entry.verificationId);
    const holder = change.expectedVersion === null ? statements.newestCallWithReference.get(change.set.reference, entry.verificationId) : undefined;
    const next = nextCallRecord(row && callFromRow(row), change, entry, holder && callFromRow(holder));
    (row === undefined ? statements.openCall : statements.updateCall).run(callColumns(next));
    // The call's end frees its device in the same transaction.
    if (!isLiveCall(next) && next.deviceId !== undefined) statements.release.run(next.deviceId, next.verificationId);
  }

  // The batch holds the write lock from its first statement, so the tail is read once and then followed
  // in memory; the tree edge is written once, for the last entry that went in.
  const appendBatch = db.transaction((requests: readonly AppendRequest[]) => {
    const last = statements.tail.get();
    frontier = syncFrontier(last === undefined ? 0 : last.idx + 1);
    let lastAt = last?.at;
    const sizeBefore = frontier.size;
    const outcomes = requests.map((request): BatchOutcome<AuditEntry> => {
      try {
        const prepared = appendOne(request, { lastAt, frontier });
        frontier = prepared.frontier;
        lastAt = prepared.entry.at;
        return { ok: true, value: prepared.entry };
      } catch (error) {
        // Some failures (a full disk, an I/O error) make SQLite roll the whole transaction back: then
        // nothing of the batch stands, and carrying on would commit the rest one statement at a time.
        if (!db.inTransaction) throw error;
        return { ok: false, error: storeError('append', error) };
      }
    });
    if (frontier.size !== sizeBefore) statements.putEdge.run(frontier.size, Buffer.from(frontier.edgeBytes()));
    return outcomes;
  });

  const leaseTransaction = db.transaction((request: LeaseRequest) => {
    // A live call of another verification keeps its device even when its lease lapsed (its server died).
    if (statements.liveCallOnDevice.get(request.deviceId, request.holder)) return null;
    const row = statements.lease.get(request.deviceId);
    const lease = nextLease(row && leaseFromRow(row), request, statements.highestCallEpoch.get(request.deviceId)?.epoch ?? 0);
    if (lease) statements.upsertLease.run({ deviceId: lease.deviceId, holder: lease.holder, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs });
    return lease;
  });

  const initialTail = statements.tail.get();
  frontier = syncFrontier(initialTail === undefined ? 0 : initialTail.idx + 1);

  return {
    appendBatch(requests) {
      const before = frontier;
      try {
        return appendBatch.immediate(requests);
      } catch (error) {
        // Nothing of the batch was committed: the tree is as it was before it.
        frontier = before;
        throw storeError('append', error);
      }
    },
    acquireLease: (request) => guard('take a device lease', () => leaseTransaction.immediate(request)),
    releaseLease: (deviceId, holder) => guard('release a device lease', () => statements.release.run(deviceId, holder).changes > 0),
    putPersonalData: (record) => void guard('keep personal data', () => statements.putPersonal.run(record)),
    erasePersonalData: (nowMs) =>
      guard('erase personal data', () => {
        const erased = statements.erasePersonal.all(nowMs);
        // secure_delete zeroes the freed pages; the checkpoint then empties the WAL, which still held the old pages.
        if (erased.length > 0) db.pragma('wal_checkpoint(TRUNCATE)');
        return erased.map(({ hash, kind }) => ({ hash, kind }));
      }),
    close: () => db.close(),
  };
}

function prepareWrites(db: Database.Database) {
  return {
    tail: db.prepare<[], { idx: number; at: string }>('SELECT idx, at FROM audit_entries ORDER BY idx DESC LIMIT 1'),
    leafHashesFrom: db.prepare<[number], { leaf_hash: Buffer }>('SELECT leaf_hash FROM audit_entries WHERE idx >= ? ORDER BY idx'),
    insert: db.prepare(
      `INSERT INTO audit_entries (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
       VALUES (@idx, @verification_id, @type, @at, @provider_at, @source, @provider, @actor, @provider_event_id, @data, @leaf_hash, @tree_root)`,
    ),
    edge: db.prepare<[], { size: number; hashes: Buffer }>('SELECT size, hashes FROM tree_edge WHERE id = 1'),
    putEdge: db.prepare<[number, Buffer]>(
      'INSERT INTO tree_edge (id, size, hashes) VALUES (1, ?, ?) ON CONFLICT(id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes',
    ),
    // Replacing, so after a truncation the kept hashes follow the entries written since.
    putSubtree: db.prepare<[number, number, Buffer]>('INSERT OR REPLACE INTO tree_subtrees (level, idx, hash) VALUES (?, ?, ?)'),
    rootAt: db.prepare<[number], { tree_root: Buffer }>('SELECT tree_root FROM audit_entries WHERE idx = ?'),
    lease: db.prepare<[string], LeaseRow>('SELECT * FROM device_leases WHERE device_id = ?'),
    highestCallEpoch: db.prepare<[string], { epoch: number | null }>('SELECT MAX(epoch) AS epoch FROM calls WHERE device_id = ?'),
    upsertLease: db.prepare(
      `INSERT INTO device_leases (device_id, holder, epoch, expires_at_ms) VALUES (@deviceId, @holder, @epoch, @expiresAtMs)
       ON CONFLICT(device_id) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, expires_at_ms = excluded.expires_at_ms`,
    ),
    release: db.prepare('UPDATE device_leases SET expires_at_ms = 0 WHERE device_id = ? AND holder = ? AND expires_at_ms > 0'),
    putPersonal: db.prepare(
      `INSERT INTO personal_data (hash, kind, value, retain_until_ms) VALUES (@hash, @kind, @value, @retainUntilMs)
       ON CONFLICT(hash) DO UPDATE SET retain_until_ms = max(retain_until_ms, excluded.retain_until_ms)`,
    ),
    erasePersonal: db.prepare<[number], { hash: string; kind: string }>('DELETE FROM personal_data WHERE retain_until_ms <= ? RETURNING hash, kind'),
    call: db.prepare<[string], CallRow>('SELECT * FROM calls WHERE verification_id = ?'),
    newestCallWithReference: db.prepare<[string, string | null], CallRow>(
      'SELECT * FROM calls WHERE reference = ? AND verification_id IS NOT ? ORDER BY opened_idx DESC LIMIT 1',
    ),
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
}
