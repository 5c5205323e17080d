import {
  BridgeError,
  callColumns,
  checkLeaseFence,
  entryColumns,
  isLiveCall,
  nextCallRecord,
  prepareAppend,
  toHex,
  type AppendOptions,
  type AuditEntryInput,
  type CallRecord,
  type MerkleFrontier,
  type PreparedAppend,
} from '../../index.js';
import { eventKey, holderKey, type BatchAssumptions, type BatchWrites } from './append-statement.js';

/** One append waiting for a batch. */
export interface AppendRequest {
  input: AuditEntryInput;
  atMs: number;
  options: AppendOptions;
}

/** Where this process believes the log ends: what the next batch is planned on. */
export interface TailView {
  /** The tree over every entry; its size is the next index. */
  frontier: MerkleFrontier;
  /** `at` of the last entry, if any. */
  lastAt: string | undefined;
  /** The root recorded with the last entry, null for an empty log. */
  lastRoot: Uint8Array | null;
  /** The edge row as last seen (it may disagree with `frontier` until a batch rewrites it), null for no row. */
  edge: { size: number; hashes: Uint8Array } | null;
}

/**
 * What a batch knows of the rows its checks read. Call rows and holders are read before the first attempt;
 * a provider event or lease epoch not known yet is assumed to pass, and the statement checks it.
 */
export interface KnownFacts {
  /** Provider events (see `eventKey`) known to be logged. */
  present: Set<string>;
  /** Latest epoch of each device read so far, 0 for one never leased. */
  epochs: Map<string, number>;
  /** Call rows by verification id; a verification absent here has no row. */
  calls: Map<string, CallRecord>;
  /** The newest other call holding a reference, by `holderKey`; absent: none. */
  holders: Map<string, CallRecord>;
}

/** How one request of a batch ends: its prepared append, or the error that refuses it alone. */
export type PlannedOutcome = { ok: true; value: PreparedAppend } | { ok: false; error: unknown };

/** One attempt at a batch: what it writes, what it assumes, and how each request it takes ends if it commits. */
export interface BatchPlan {
  /** How many requests from the front the plan takes; the rest wait for the next batch. */
  taken: number;
  outcomes: PlannedOutcome[];
  assumptions: BatchAssumptions;
  writes: BatchWrites;
  /** The tail once the batch has committed. */
  after: TailView;
  /** The verifications and references its call changes touch, with those of the batch it follows. */
  touched: Set<string>;
  /** Its provider events (see `eventKey`), with those of the batch it follows. */
  events: Set<string>;
}

// The refusals that concern one append alone; anything else fails the batch.
const REFUSALS = new Set(['INVALID_INPUT', 'LEASE_LOST', 'DUPLICATE_EVENT', 'CALL_CHANGED', 'REFERENCE_TAKEN']);

/**
 * Plans the longest prefix of `requests` that can be written as one statement, in order, each checked as
 * its own append would be: invalid input, then a lost lease, then a repeated event, then the call change.
 * The prefix ends before a call change whose verification or reference an earlier one in it touches, so
 * every check reads only rows the batch has not changed: the facts, as the statement re-checks them.
 * Planned to follow a batch still in flight (`follows`), it starts from that batch's tail, keys and events.
 */
export function planBatch(requests: readonly AppendRequest[], tail: TailView, facts: KnownFacts, follows?: BatchPlan): BatchPlan {
  const assumptions: BatchAssumptions = {
    edge: tail.edge,
    checkTail: follows === undefined,
    lastIndex: tail.frontier.size === 0 ? null : tail.frontier.size - 1,
    lastRoot: tail.lastRoot,
    firstAt: '',
    fences: [],
    calls: [],
    holders: [],
  };
  const writes: BatchWrites = { entries: [], edge: { size: 0, hashes: new Uint8Array(), lastAt: '' }, subtrees: [], calls: [], releases: [] };
  const outcomes: PlannedOutcome[] = [];
  const touched = new Set<string>(follows?.touched);
  const events = new Set<string>(follows?.events);
  let after = tail;
  for (const request of requests) {
    const keys = callKeys(request, facts);
    if (keys.some((key) => touched.has(key))) break;
    let prepared: PreparedAppend;
    try {
      prepared = prepareAppend(request.input, request.atMs, { lastAt: after.lastAt, frontier: after.frontier });
      const event = checkedEvent(request, prepared, facts, events);
      const call = plannedCall(request, prepared, facts);
      const { fence } = request.options;
      if (fence) assumptions.fences.push({ device_id: fence.deviceId, epoch: fence.epoch });
      if (event !== undefined) events.add(event);
      if (call) {
        keys.forEach((key) => touched.add(key));
        assumptions.calls.push(call.assumed);
        if (call.holder) assumptions.holders.push(call.holder);
        writes.calls.push({ ...callColumns(call.next), opened_idx: prepared.entry.index });
        if (!isLiveCall(call.next) && call.next.deviceId !== undefined) writes.releases.push({ device_id: call.next.deviceId, holder: call.next.verificationId });
      }
    } catch (error) {
      if (!BridgeError.isInstance(error) || !REFUSALS.has(error.code)) throw error;
      outcomes.push({ ok: false, error });
      continue;
    }
    const { entry } = prepared;
    if (writes.entries.length === 0) assumptions.firstAt = entry.at;
    writes.entries.push({ ...entryColumns(entry), leaf_hash: toHex(prepared.leafHash), tree_root: toHex(prepared.rootAfter) });
    for (const subtree of prepared.subtrees) writes.subtrees.push({ level: subtree.level, idx: subtree.index, hash: toHex(subtree.hash) });
    outcomes.push({ ok: true, value: prepared });
    after = { frontier: prepared.frontier, lastAt: entry.at, lastRoot: prepared.rootAfter, edge: null };
  }
  writes.edge = { size: after.frontier.size, hashes: after.frontier.edgeBytes(), lastAt: after.lastAt ?? '' };
  after = { ...after, edge: writes.edge };
  return { taken: outcomes.length, outcomes, assumptions, writes, after, touched, events };
}

// The verification and the references a call change reads or writes; two changes sharing one are never in one batch.
function callKeys({ input, options }: AppendRequest, facts: KnownFacts): string[] {
  if (!options.call) return [];
  const verificationId = input.verificationId!;
  const references = [facts.calls.get(verificationId)?.reference, options.call.set.reference].filter((r) => r !== undefined);
  return [`verification:${verificationId}`, ...references.map((reference) => `reference:${reference}`)];
}

// Checks the fence on the latest epoch read (if any), then the provider event; returns the event's key.
function checkedEvent(request: AppendRequest, prepared: PreparedAppend, facts: KnownFacts, events: Set<string>): string | undefined {
  const { fence } = request.options;
  const epoch = fence && facts.epochs.get(fence.deviceId);
  if (fence && epoch !== undefined) checkLeaseFence(fence, epoch === 0 ? undefined : epoch);
  const { provider, providerEventId } = prepared.entry;
  if (providerEventId === undefined) return undefined;
  const key = eventKey(provider!, providerEventId);
  if (facts.present.has(key) || events.has(key)) throw new BridgeError('DUPLICATE_EVENT', 'that provider event is already logged');
  return key;
}

interface PlannedCall {
  next: CallRecord;
  assumed: BatchAssumptions['calls'][number];
  holder?: BatchAssumptions['holders'][number];
}

function plannedCall(request: AppendRequest, prepared: PreparedAppend, facts: KnownFacts): PlannedCall | undefined {
  const change = request.options.call;
  if (!change) return undefined;
  const { entry } = prepared;
  const verificationId = entry.verificationId!;
  const current = facts.calls.get(verificationId);
  const holder = change.expectedVersion === null ? facts.holders.get(holderKey(change.set.reference, verificationId)) : undefined;
  const next = nextCallRecord(current, change, { index: entry.index, verificationId, atMs: Date.parse(entry.at) }, holder);
  return {
    next,
    assumed: { verification_id: verificationId, version: current?.version ?? null },
    ...(change.expectedVersion === null
      ? { holder: { reference: change.set.reference, opener: verificationId, holder: holder?.verificationId ?? null, version: holder?.version ?? null } }
      : {}),
  };
}
