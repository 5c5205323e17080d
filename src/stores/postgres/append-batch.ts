import type { Pool } from 'pg';
import { BridgeError, type PreparedAppend } from '../../index.js';
import { holderKey, type AppendStatements, type BatchFacts, type BatchResult } from './append-statement.js';
import type { Pending } from './append-queue.js';
import { planBatch, type AppendRequest, type BatchPlan, type KnownFacts } from './batch-plan.js';
import { storeError } from './connection.js';
import type { LogTail } from './log-tail.js';
import { PROVIDER_EVENT_INDEX } from './schema.js';

/** An append in the queue. */
export type PendingAppend = Pending<AppendRequest, PreparedAppend>;

// Each attempt lost means another writer appended; this many in a row means something keeps the guard from passing.
const MAX_ATTEMPTS = 500;
// A unique key broken this many times running is not a race but a row of the batch (see RACES).
const MAX_RACES = 3;

// Unique keys another writer can take between a plan and its statement: the entry's index, the edge row
// (both when the edge row was missing), a provider event (only a writer of an older version, which does not
// claim the edge row, could); and the server's own transaction conflicts. The next attempt reads the log again.
const RACES = new Set(['audit_entries_pkey', 'tree_edge_pkey', PROVIDER_EVENT_INDEX]);

/** A batch whose statements are under way: its first plan once sent (when it covers the whole batch), and its end. */
interface Flight {
  firstPlan: Promise<BatchPlan | undefined>;
  done: Promise<void>;
}

/** A first plan made to follow the batch in flight ahead, and that batch's end, which a retry must wait for. */
interface Lead {
  plan: BatchPlan;
  ahead: Promise<void>;
}

/**
 * Writes queued appends in order, as few statements as their call changes allow, settling each append
 * once the statement holding it has committed (or refused it alone). Two statements may be in flight: while
 * one commits, the next batch is planned on the tail it will leave and sent behind it, so the server
 * starts on it the moment the first commits rather than a round trip later.
 */
export function batchCommitter(
  statements: AppendStatements,
  tail: LogTail,
  pool: () => Promise<Pool>,
): (take: () => PendingAppend[], arrival: () => Promise<void>) => Promise<void> {
  async function commitPrefix(db: Pool, batch: PendingAppend[], facts: KnownFacts, lead?: Lead, onSent?: (plan: BatchPlan | undefined) => void): Promise<number> {
    const requests = batch.map((pending) => pending.request);
    let races = 0;
    for (let attempt = 1; ; attempt += 1) {
      const following = attempt === 1 && lead !== undefined;
      if (!following && lead) await lead.ahead;
      const plan = following ? lead!.plan : planBatch(requests, await tail.current(db), facts);
      if (plan.writes.entries.length === 0) return settle(batch, plan);
      if (attempt === 1) onSent?.(plan.taken === batch.length ? plan : undefined);
      let result: BatchResult;
      try {
        result = await statements.run(db, plan.assumptions, plan.writes);
      } catch (error) {
        // It may have committed just before the connection broke: the tail is read again either way.
        if (lead) await lead.ahead;
        tail.forget();
        if (isRace(error) && (races += 1) < MAX_RACES) continue;
        if (!refusesOneRow(error)) throw error;
        if (plan.writes.entries.length === 1) return settle(batch, plan, storeError(error, 'append'));
        // One of them broke a rule the plan does not know (a provider call id already taken): each goes alone.
        for (const pending of batch.slice(0, plan.taken)) await commitPrefix(db, [pending], await readFacts(db, [pending]));
        return plan.taken;
      }
      if (result.committed) {
        tail.committed(plan.after);
        return settle(batch, plan);
      }
      if (attempt === MAX_ATTEMPTS) {
        throw new BridgeError('STORE_FAILED', `postgres store could not append: the log's tail kept changing over ${MAX_ATTEMPTS} attempts`);
      }
      // A batch that followed another was planned on that one's tail, not on the view: only the facts count.
      if (!following) tail.refused(result.facts);
      learn(facts, plan, result.facts);
    }
  }

  // Call rows and holders are needed to plan a call change at all, so they are read before the first attempt.
  async function readFacts(db: Pool, batch: PendingAppend[]): Promise<KnownFacts> {
    const facts: KnownFacts = { present: new Set(), epochs: new Map(), calls: new Map(), holders: new Map() };
    const changes = batch.map((pending) => pending.request).filter((request) => request.options.call !== undefined);
    if (changes.length === 0) return facts;
    const openings = changes.flatMap(({ input, options }) =>
      options.call!.expectedVersion === null ? [{ reference: options.call!.set.reference, opener: input.verificationId! }] : [],
    );
    const read = await statements.readCallFacts(db, [...new Set(changes.map((request) => request.input.verificationId!))], openings);
    return { ...facts, ...read };
  }

  // Commits a whole batch in order, prefix after prefix; only its first statement may follow a batch ahead.
  function fly(db: Pool, batch: PendingAppend[], facts: KnownFacts, lead: Lead | undefined): Flight {
    let sent!: (plan: BatchPlan | undefined) => void;
    const firstPlan = new Promise<BatchPlan | undefined>((resolve) => (sent = resolve));
    const done = (async () => {
      let rest = batch;
      try {
        for (let first = true; rest.length > 0; first = false) {
          const taken = await commitPrefix(db, rest, first ? facts : await readFacts(db, rest), first ? lead : undefined, first ? sent : undefined);
          rest = rest.slice(taken);
        }
      } catch (error) {
        for (const pending of rest) pending.reject(storeError(error, 'append'));
      } finally {
        sent(undefined);
      }
    })();
    return { firstPlan, done };
  }

  return async (take, arrival) => {
    let ahead: Flight | undefined;
    for (;;) {
      const batch = take();
      if (batch.length === 0) {
        if (ahead === undefined) return;
        // Whichever comes first: the batch ahead ends, or a request arrives to be sent behind it.
        const flight = ahead;
        if (await Promise.race([flight.done.then(() => true), arrival().then(() => false)])) ahead = undefined;
        continue;
      }
      let db: Pool;
      let facts: KnownFacts;
      try {
        db = await pool();
        facts = await readFacts(db, batch);
      } catch (error) {
        for (const pending of batch) pending.reject(storeError(error, 'append'));
        continue;
      }
      const lead = await leadBehind(ahead, batch, facts);
      if (ahead !== undefined && lead === undefined) await ahead.done;
      const flight = fly(db, batch, facts, lead);
      // At most two in flight: the next batch is taken once the one ahead of this is done.
      if (ahead !== undefined) await ahead.done;
      ahead = flight;
    }
  };
}

// A plan for `batch` on the tail the batch in flight will leave, if that one's first statement covers it
// whole and this plan takes `batch` whole too; otherwise the batch waits for the one ahead.
async function leadBehind(ahead: Flight | undefined, batch: PendingAppend[], facts: KnownFacts): Promise<Lead | undefined> {
  const before = await ahead?.firstPlan;
  if (ahead === undefined || before === undefined || before.after.edge === null) return undefined;
  const plan = planBatch(
    batch.map((pending) => pending.request),
    before.after,
    facts,
    before,
  );
  return plan.taken === batch.length && plan.writes.entries.length > 0 ? { plan, ahead: ahead.done } : undefined;
}

// Settles the requests a plan took: each with its outcome, or every planned one with `failure`.
function settle(batch: PendingAppend[], plan: BatchPlan, failure?: BridgeError): number {
  plan.outcomes.forEach((outcome, i) => {
    if (!outcome.ok) batch[i]!.reject(outcome.error);
    else if (failure) batch[i]!.reject(failure);
    else batch[i]!.resolve(outcome.value);
  });
  return plan.taken;
}

// What a refused statement found replaces what the plan assumed, for every key it checked.
function learn(facts: KnownFacts, plan: BatchPlan, found: BatchFacts): void {
  for (const key of found.present) facts.present.add(key);
  for (const { device_id } of plan.assumptions.fences) facts.epochs.set(device_id, found.epochs.get(device_id) ?? 0);
  for (const { verification_id } of plan.assumptions.calls) replace(facts.calls, verification_id, found.calls.get(verification_id));
  for (const { reference, opener } of plan.assumptions.holders) {
    const key = holderKey(reference, opener);
    replace(facts.holders, key, found.holders.get(key));
  }
}

function replace<V>(map: Map<string, V>, key: string, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

function isRace(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return (code === '23505' && typeof constraint === 'string' && RACES.has(constraint)) || code === '40001' || code === '40P01';
}

// A data or integrity error the server raised for a row, as opposed to a lost connection or a server in trouble.
function refusesOneRow(error: unknown): boolean {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
