import {
  assertEntryQuery,
  assertLeafHashRange,
  assertLeaseFence,
  assertCallChange,
  assertCallQuery,
  assertLeaseRequest,
  assertPersonalDataRecord,
  BridgeError,
  checkLeaseFence,
  isLiveCall,
  MerkleFrontier,
  nextCallRecord,
  nextLease,
  standingLease,
  prepareAppend,
  verifyStoredRows,
  type AuditEntry,
  type BridgeStore,
  type CallRecord,
  type DeviceLease,
  type PersonalDataRecord,
} from '../index.js';

/** Name of this store. */
export const STORE_NAME = 'memory';

interface Row {
  entry: AuditEntry;
  leafHash: Uint8Array;
  rootAfter: Uint8Array;
}

/** An in-process store for tests and the demo's ephemeral mode: nothing survives the process. */
export default function memoryStore(): BridgeStore {
  const rows: Row[] = [];
  const providerEvents = new Set<string>();
  const leases = new Map<string, DeviceLease>();
  const personalData = new Map<string, PersonalDataRecord>();
  const calls = new Map<string, CallRecord>();
  const subtrees = new Map<string, Uint8Array>();
  let frontier = new MerkleFrontier();
  let closed = false;

  function open(): void {
    if (closed) throw new BridgeError('STORE_FAILED', 'the memory store is closed');
  }

  return {
    kind: STORE_NAME,
    async append(input, atMs, options = {}) {
      open();
      const { fence, call } = options;
      if (fence) assertLeaseFence(fence);
      if (call) assertCallChange(input, call);
      const prepared = prepareAppend(input, atMs, { lastAt: rows.at(-1)?.entry.at, frontier });
      if (fence) checkLeaseFence(fence, leases.get(fence.deviceId)?.epoch);
      const eventKey = input.providerEventId === undefined ? undefined : `${input.provider ?? ''}\u0000${input.providerEventId}`;
      if (eventKey !== undefined && providerEvents.has(eventKey)) {
        throw new BridgeError('DUPLICATE_EVENT', `event ${input.providerEventId} of ${input.provider ?? 'unknown provider'} is already logged`, {
          provider: input.provider,
        });
      }
      const { entry } = prepared;
      const callRow =
        call &&
        nextCallRecord(
          calls.get(entry.verificationId!),
          call,
          { index: entry.index, verificationId: entry.verificationId!, atMs: Date.parse(entry.at) },
          call.expectedVersion === null ? newestWithReference(call.set.reference, entry.verificationId!) : undefined,
        );
      // One provider call belongs to one verification, as the other stores' unique index has it.
      if (callRow?.providerCallId !== undefined && [...calls.values()].some((c) => c.verificationId !== callRow.verificationId && c.provider === callRow.provider && c.providerCallId === callRow.providerCallId)) {
        throw new BridgeError('STORE_FAILED', `provider call ${callRow.providerCallId} already belongs to another verification`);
      }
      rows.push({ entry: structuredClone(entry), leafHash: prepared.leafHash, rootAfter: prepared.rootAfter });
      if (eventKey !== undefined) providerEvents.add(eventKey);
      for (const { level, index, hash } of prepared.subtrees) subtrees.set(`${level}:${index}`, hash);
      if (callRow) calls.set(callRow.verificationId, callRow);
      if (callRow && !isLiveCall(callRow) && callRow.deviceId !== undefined) release(callRow.deviceId, callRow.verificationId);
      frontier = prepared.frontier;
      return prepared.entry;
    },
    async head() {
      open();
      return { size: frontier.size, root: frontier.root() };
    },
    async readEntries(query = {}) {
      open();
      assertEntryQuery(query);
      const from = query.fromIndex ?? 0;
      const matching = rows
        .filter((row) => row.entry.index >= from)
        .filter((row) => query.verificationId === undefined || row.entry.verificationId === query.verificationId)
        .filter((row) => query.type === undefined || row.entry.type === query.type);
      const selected = (query.newestFirst ? matching.reverse() : matching).slice(0, query.limit ?? Number.POSITIVE_INFINITY);
      return selected.map((row) => structuredClone(row.entry));
    },
    async readLeafHashes(fromIndex, toIndex) {
      open();
      assertLeafHashRange(fromIndex, toIndex, rows.length);
      return rows.slice(fromIndex, toIndex).map((row) => Uint8Array.from(row.leafHash));
    },
    async readSubtreeHashes(addresses) {
      open();
      return addresses.map(({ level, index }) => {
        const hash = subtrees.get(`${level}:${index}`);
        return hash && Uint8Array.from(hash);
      });
    },
    async putPersonalData(record) {
      open();
      assertPersonalDataRecord(record);
      const held = personalData.get(record.hash);
      personalData.set(record.hash, { ...record, retainUntilMs: Math.max(record.retainUntilMs, held?.retainUntilMs ?? 0) });
    },
    async getPersonalData(hash) {
      open();
      const held = personalData.get(hash);
      return held ? { ...held } : null;
    },
    async erasePersonalData(nowMs) {
      open();
      const erased = [...personalData.values()].filter((record) => record.retainUntilMs <= nowMs);
      for (const record of erased) personalData.delete(record.hash);
      return erased.map(({ hash, kind }) => ({ hash, kind }));
    },
    async verify() {
      open();
      return verifyStoredRows(() =>
        rows.map((row) => ({ index: row.entry.index, entry: () => structuredClone(row.entry), leafHash: row.leafHash, rootAfter: row.rootAfter })),
      );
    },
    async findCall(query) {
      open();
      assertCallQuery(query);
      const found =
        'verificationId' in query
          ? calls.get(query.verificationId)
          : 'reference' in query
            ? newestWithReference(query.reference)
            : [...calls.values()].find((c) => c.provider === query.provider && c.providerCallId === query.providerCallId);
      return found ? { ...found } : null;
    },
    async listLiveCalls() {
      open();
      return [...calls.values()].filter(isLiveCall).map((c) => ({ ...c }));
    },
    async acquireLease(request) {
      open();
      assertLeaseRequest(request);
      const onDevice = [...calls.values()].filter((c) => c.deviceId === request.deviceId);
      if (onDevice.some((c) => c.verificationId !== request.holder && isLiveCall(c))) return null;
      const lease = nextLease(leases.get(request.deviceId), request, Math.max(0, ...onDevice.map((c) => c.epoch ?? 0)));
      if (lease) leases.set(request.deviceId, { deviceId: lease.deviceId, holder: lease.holder, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs });
      return lease && { ...lease };
    },
    async releaseLease(deviceId, holder) {
      open();
      return release(deviceId, holder);
    },
    async currentLease(deviceId, nowMs) {
      open();
      return standingLease(leases.get(deviceId), nowMs);
    },
    async close() {
      closed = true;
    },
  };

  function release(deviceId: string, holder: string): boolean {
    const lease = leases.get(deviceId);
    if (!lease || lease.holder !== holder || lease.expiresAtMs === 0) return false;
    leases.set(deviceId, { ...lease, expiresAtMs: 0 });
    return true;
  }

  // Calls are kept in the order they were opened, so the last match is the newest.
  function newestWithReference(reference: string, exceptVerificationId?: string): CallRecord | undefined {
    return [...calls.values()].filter((c) => c.reference === reference && c.verificationId !== exceptVerificationId).at(-1);
  }
}
