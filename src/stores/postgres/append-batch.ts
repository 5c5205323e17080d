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

// Unique keys another writer can take between a plan and its statement: the entry's index, the edge row
// (both when the edge row was missing), a provider event (only a writer of an older version, which does not
// claim the edge row, could); and the server's own transaction conflicts. The next attempt reads the log again.
const RACES = new Set(['audit_entries_pkey', 'tree_edge_pkey', PROVIDER_EVENT_INDEX]);

/**
 * Writes queued appends in order, as few statements as their call changes allow, settling each append
 * once the statement holding it has committed (or refused it alone).
 */
export function batchCommitter(statements: AppendStatements, tail: LogTail, pool: () => Promise<Pool>): (batch: PendingAppend[]) => Promise<void> {
  async function commitPrefix(db: Pool, batch: PendingAppend[]): Promise<number> {
    const requests = batch.map((pending) => pending.request);
    const facts = await readFacts(db, requests);
    for (let attempt = 1; ; attempt += 1) {
      const plan = planBatch(requests, await tail.current(db), facts);
      if (plan.writes.entries.length === 0) return settle(batch, plan);
      let result: BatchResult;
      try {
        result = await statements.run(db, plan.assumptions, plan.writes);
      } catch (error) {
        // It may have committed just before the connection broke: the tail is read again either way.
        tail.forget();
        if (isRace(error) && attempt < MAX_ATTEMPTS) continue;
        if (!refusesOneRow(error)) throw error;
        if (plan.writes.entries.length === 1) return settle(batch, plan, storeError(error, 'append'));
        // One of them broke a rule the plan does not know (a provider call id already taken): each goes alone.
        for (const pending of batch.slice(0, plan.taken)) await commitPrefix(db, [pending]);
        return plan.taken;
      }
      if (result.committed) {
        tail.committed(plan.after);
        return settle(batch, plan);
      }
      if (attempt === MAX_ATTEMPTS) {
        throw new BridgeError('STORE_FAILED', `postgres store could not append: the log's tail kept changing over ${MAX_ATTEMPTS} attempts`);
      }
      tail.refused(result.facts);
      learn(facts, plan, result.facts);
    }
  }

  // Call rows and holders are needed to plan a call change at all, so they are read before the first attempt.
  async function readFacts(db: Pool, requests: AppendRequest[]): Promise<KnownFacts> {
    const facts: KnownFacts = { present: new Set(), epochs: new Map(), calls: new Map(), holders: new Map() };
    const changes = requests.filter((request) => request.options.call !== undefined);
    if (changes.length === 0) return facts;
    const openings = changes.flatMap(({ input, options }) =>
      options.call!.expectedVersion === null ? [{ reference: options.call!.set.reference, opener: input.verificationId! }] : [],
    );
    const read = await statements.readCallFacts(db, [...new Set(changes.map((request) => request.input.verificationId!))], openings);
    return { ...facts, ...read };
  }

  return async (batch) => {
    try {
      const db = await pool();
      for (let rest = batch; rest.length > 0; ) rest = rest.slice(await commitPrefix(db, rest));
    } catch (error) {
      throw storeError(error, 'append');
    }
  };
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
