import type { Pool } from 'pg';
import type { CallRecord, EntryColumns } from '../../index.js';
import { CALL_COLUMNS, callFromRow, type PgCallRow } from './calls.js';
import type { Tables } from './schema.js';

/** An entry as the batch statement inserts it: its columns, with its leaf hash and the root after it in hex. */
export interface EntryRow extends EntryColumns {
  leaf_hash: string;
  tree_root: string;
}

/** What a batch was planned on; its statement writes nothing unless every part of it still holds. */
export interface BatchAssumptions {
  /** The edge row as the batch expects to find it under its lock, null for no row: the statement claims it only so. */
  edge: { size: number; hashes: Uint8Array } | null;
  /** Whether to check the log's last entry against `lastIndex`, `lastRoot` and `firstAt` (not for a batch that follows another). */
  checkTail: boolean;
  /** Index of the log's last entry, null for an empty log. */
  lastIndex: number | null;
  /** The root recorded with that entry, null for an empty log. */
  lastRoot: Uint8Array | null;
  /** `at` of the batch's first entry; the log's last entry must not be later. */
  firstAt: string;
  /** The epoch each fenced device must still be leased at. */
  fences: { device_id: string; epoch: number }[];
  /** The version each changed call row must still be at, null for a row that must not exist yet. */
  calls: { verification_id: string; version: number | null }[];
  /** For each opened reference, the newest other call holding it as planned on (null: none). */
  holders: { reference: string; opener: string; holder: string | null; version: number | null }[];
}

/** Everything a batch writes when its assumptions hold. */
export interface BatchWrites {
  entries: EntryRow[];
  /** The tree's right edge after the batch. */
  edge: { size: number; hashes: Uint8Array; lastAt: string };
  /** The large perfect subtrees its entries complete, hashes in hex, kept so proofs need not read every leaf. */
  subtrees: { level: number; idx: number; hash: string }[];
  /** Call rows as they stand after the batch; `opened_idx` counts only for a row opened by it. */
  calls: (PgCallRow & { opened_idx: number })[];
  /** Leases freed because the batch ended the call holding them. */
  releases: { device_id: string; holder: string }[];
}

/** What the database holds for a batch's keys: the facts its next attempt is planned on. */
export interface BatchFacts {
  /** The edge row as it stands now (read under its row lock), null if there is none. */
  edge: { size: number; hashes: Buffer; lastAt: string | null } | null;
  /** The log's last entry. */
  tail: { index: number; at: string; root: Buffer } | null;
  /** `provider\0providerEventId` of the batch's provider events already logged. */
  present: string[];
  /** Latest epoch of each fenced device with a lease row. */
  epochs: Map<string, number>;
  /** The call rows the batch changes, by verification id (absent: no row). */
  calls: Map<string, CallRecord>;
  /** The newest other call holding each opened reference, by `reference\0opener` (absent: none). */
  holders: Map<string, CallRecord>;
}

/** How a batch statement ended: committed, or nothing written and what the database holds instead. */
export type BatchResult = { committed: true; commitMode: string } | { committed: false; facts: BatchFacts };

/** The key a provider event is known by in {@link BatchFacts}. */
export const eventKey = (provider: string, providerEventId: string): string => `${provider}\0${providerEventId}`;

/** The key a reference's holder is known by in {@link BatchFacts}. */
export const holderKey = (reference: string, opener: string): string => `${reference}\0${opener}`;

/** The batch statement and the call-facts read of one schema. */
export interface AppendStatements {
  /** Runs one batch as one autocommit statement: every write, or none and the facts. */
  run(pool: Pool, assumptions: BatchAssumptions, writes: BatchWrites): Promise<BatchResult>;
  /** Reads, without locking anything, the call rows and reference holders a batch is planned on. */
  readCallFacts(pool: Pool, verificationIds: string[], openings: { reference: string; opener: string }[]): Promise<Pick<BatchFacts, 'calls' | 'holders'>>;
}

const ENTRY_TYPES = `idx bigint, verification_id text, type text, at text, provider_at text, source text, provider text, actor text,
  provider_event_id text, data text, leaf_hash text, tree_root text`;
const CALL_TYPES = `verification_id text, reference text, reference_expires_at_ms double precision, state text, version bigint,
  updated_at_ms double precision, expires_at_ms double precision, owner text, provider text, provider_call_id text, device_id text,
  epoch bigint, opened_idx bigint`;

/**
 * One statement, so no lock outlives a round trip: the edge row is locked first (`FOR UPDATE`, which
 * waits for a writer in flight and then reads what it committed), and every write is guarded by one
 * check that the batch's assumptions hold. The batch was planned on an edge row seen before the statement
 * began, and every append rewrites that row: finding it unchanged under the lock means no append committed
 * since the snapshot was taken, so the snapshot reads (the tail, repeated events, call rows, holders) are
 * current whenever the guard passes. A batch sent behind this process's own batch in flight expects the
 * edge that one will leave: its snapshot may lack that batch alone, whose effects its plan counts. A batch
 * that finds its assumptions stale writes nothing, returns the facts, and commits without waiting for the disk.
 */
function batchStatement(t: Tables, assumed: BatchAssumptions, writes: BatchWrites): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown, type: string) => `$${values.push(value)}::${type}`;
  const callColumns = CALL_COLUMNS.join(', ');
  // Only the parts a batch uses are sent, so the server plans (every time: statements are unnamed) no more than it needs.
  const reads = [`latest AS MATERIALIZED (SELECT size, hashes, last_at FROM ${t.edge} WHERE id = 1 FOR UPDATE)`];
  const checks = [
    `(SELECT size FROM latest) IS NOT DISTINCT FROM ${param(assumed.edge?.size ?? null, 'bigint')}`,
    `(SELECT hashes FROM latest) IS NOT DISTINCT FROM ${param(assumed.edge && Buffer.from(assumed.edge.hashes), 'bytea')}`,
  ];
  const facts = [`'edge', (SELECT json_build_object('size', size, 'hashes', encode(hashes, 'hex'), 'lastAt', last_at) FROM latest)`];
  if (assumed.checkTail) {
    reads.push(`tail AS MATERIALIZED (SELECT idx, at, tree_root FROM ${t.entries} ORDER BY idx DESC LIMIT 1)`);
    checks.push(
      `(SELECT idx FROM tail) IS NOT DISTINCT FROM ${param(assumed.lastIndex, 'bigint')}`,
      `(SELECT tree_root FROM tail) IS NOT DISTINCT FROM ${param(assumed.lastRoot && Buffer.from(assumed.lastRoot), 'bytea')}`,
      `coalesce((SELECT at FROM tail) COLLATE "C" <= ${param(assumed.firstAt, 'text')}, true)`,
    );
    facts.push(`'tail', (SELECT json_build_object('index', idx, 'at', at, 'root', encode(tree_root, 'hex')) FROM tail)`);
  }
  reads.push(`new_entries AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(${param(JSON.stringify(writes.entries), 'jsonb')}) AS r(${ENTRY_TYPES}))`);
  if (writes.entries.some((entry) => entry.provider_event_id !== null)) {
    // One probe of the unique index per new event (LIMIT 1 keeps the planner from hashing the whole log).
    reads.push(`present AS MATERIALIZED (SELECT n.provider, n.provider_event_id FROM new_entries n CROSS JOIN LATERAL (SELECT 1 FROM ${t.entries} e
  WHERE e.provider = n.provider AND e.provider_event_id = n.provider_event_id AND e.provider_event_id IS NOT NULL LIMIT 1) hit
  WHERE n.provider_event_id IS NOT NULL)`);
    checks.push('NOT EXISTS (SELECT 1 FROM present)');
    facts.push(`'present', (SELECT json_agg(json_build_array(provider, provider_event_id)) FROM present)`);
  }
  if (assumed.fences.length > 0) {
    reads.push(
      `fences AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(${param(JSON.stringify(assumed.fences), 'jsonb')}) AS f(device_id text, epoch bigint))`,
      // Locked only once the edge row is (the scalar subquery runs first), so two batches never lock in opposite orders.
      `epochs AS MATERIALIZED (SELECT device_id, epoch FROM ${t.leases}
  WHERE device_id IN (SELECT device_id FROM fences) AND (SELECT count(*) FROM latest) >= 0 FOR SHARE)`,
    );
    checks.push('NOT EXISTS (SELECT 1 FROM fences f LEFT JOIN epochs e USING (device_id) WHERE e.epoch IS DISTINCT FROM f.epoch)');
    facts.push(`'epochs', (SELECT json_agg(json_build_array(device_id, epoch)) FROM epochs)`);
  }
  if (assumed.calls.length > 0) {
    reads.push(`call_keys AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(${param(JSON.stringify(assumed.calls), 'jsonb')}) AS k(verification_id text, version bigint))`);
    checks.push(`NOT EXISTS (SELECT 1 FROM call_keys k LEFT JOIN ${t.calls} c USING (verification_id) WHERE c.version IS DISTINCT FROM k.version)`);
    facts.push(`'calls', (SELECT json_agg(c) FROM (SELECT ${callColumns} FROM ${t.calls} WHERE verification_id IN (SELECT verification_id FROM call_keys)) c)`);
  }
  if (assumed.holders.length > 0) {
    reads.push(
      `holder_keys AS MATERIALIZED (SELECT * FROM jsonb_to_recordset(${param(JSON.stringify(assumed.holders), 'jsonb')}) AS k(reference text, opener text, holder text, version bigint))`,
      `holders AS MATERIALIZED (SELECT k.reference, k.opener, h.* FROM holder_keys k CROSS JOIN LATERAL (${holderOf(t)}) h)`,
    );
    checks.push(`NOT EXISTS (SELECT 1 FROM holder_keys k LEFT JOIN holders h USING (reference, opener)
    WHERE h.verification_id IS DISTINCT FROM k.holder OR h.version IS DISTINCT FROM k.version)`);
    facts.push(`'holders', (SELECT json_agg(h) FROM holders h)`);
  }
  const edge = writes.edge;
  const written = [
    `guard AS MATERIALIZED (SELECT ${checks.join('\n  AND ')} AS ok)`,
    `edge_write AS (INSERT INTO ${t.edge} (id, size, hashes, last_at)
  SELECT 1, ${param(edge.size, 'bigint')}, ${param(Buffer.from(edge.hashes), 'bytea')}, ${param(edge.lastAt, 'text')} FROM guard WHERE ok
  ON CONFLICT (id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes, last_at = excluded.last_at)`,
    `entry_write AS (INSERT INTO ${t.entries} (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
  SELECT n.idx, n.verification_id, n.type, n.at, n.provider_at, n.source, n.provider, n.actor, n.provider_event_id, n.data,
    decode(n.leaf_hash, 'hex'), decode(n.tree_root, 'hex') FROM new_entries n, guard WHERE guard.ok)`,
  ];
  if (writes.subtrees.length > 0) {
    // Subtrees replace, so after a truncation they follow the entries written since.
    written.push(`subtree_write AS (INSERT INTO ${t.subtrees} (level, idx, hash) SELECT r.level, r.idx, decode(r.hash, 'hex')
  FROM jsonb_to_recordset(${param(JSON.stringify(writes.subtrees), 'jsonb')}) AS r(level integer, idx bigint, hash text), guard WHERE guard.ok
  ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash)`);
  }
  if (writes.calls.length > 0) {
    written.push(`call_write AS (INSERT INTO ${t.calls} (${callColumns}, opened_idx) SELECT ${CALL_COLUMNS.map((c) => `r.${c}`).join(', ')}, r.opened_idx
  FROM jsonb_to_recordset(${param(JSON.stringify(writes.calls), 'jsonb')}) AS r(${CALL_TYPES}), guard WHERE guard.ok
  ON CONFLICT (verification_id) DO UPDATE SET ${CALL_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')})`);
  }
  if (writes.releases.length > 0) {
    written.push(`lease_release AS (UPDATE ${t.leases} l SET expires_at_ms = 0
  FROM jsonb_to_recordset(${param(JSON.stringify(writes.releases), 'jsonb')}) AS r(device_id text, holder text), guard
  WHERE guard.ok AND l.device_id = r.device_id AND l.holder = r.holder AND l.epoch > 0 AND l.expires_at_ms > 0)`);
  }
  const text = `WITH
${[...reads, ...written].join(',\n')}
SELECT ok,
  -- Every level but off flushes this server's WAL before COMMIT returns; a batch that wrote nothing need not wait.
  set_config('synchronous_commit', CASE WHEN NOT ok THEN 'off' WHEN current_setting('synchronous_commit') = 'off' THEN 'on'
    ELSE current_setting('synchronous_commit') END, true) AS commit_mode,
  CASE WHEN ok THEN NULL ELSE json_build_object(${facts.join(',\n    ')}) END AS facts
FROM guard`;
  return { text, values };
}

// The newest call of another verification holding reference `k.reference`: its columns but the reference, which is k's.
function holderOf(t: Tables): string {
  const columns = CALL_COLUMNS.filter((column) => column !== 'reference').map((column) => `c.${column}`);
  return `SELECT ${columns.join(', ')} FROM ${t.calls} c
    WHERE c.reference = k.reference AND c.verification_id IS DISTINCT FROM k.opener ORDER BY c.opened_idx DESC LIMIT 1`;
}

// The same reads as the statement's, for planning a batch's call changes before its first attempt.
function callFactsSql(t: Tables): string {
  return `SELECT
  (SELECT json_agg(c) FROM (SELECT ${CALL_COLUMNS.join(', ')} FROM ${t.calls}
    WHERE verification_id IN (SELECT verification_id FROM jsonb_to_recordset($1::jsonb) AS k(verification_id text))) c) AS calls,
  (SELECT json_agg(h) FROM (SELECT k.reference, k.opener, h.* FROM jsonb_to_recordset($2::jsonb) AS k(reference text, opener text)
    CROSS JOIN LATERAL (${holderOf(t)}) h) h) AS holders`;
}

type HolderJson = PgCallRow & { reference: string; opener: string };

// Each part is absent when the batch had nothing to check there.
interface FactsJson {
  edge?: { size: number; hashes: string; lastAt: string | null } | null;
  tail?: { index: number; at: string; root: string } | null;
  present?: [string, string][] | null;
  epochs?: [string, number][] | null;
  calls?: PgCallRow[] | null;
  holders?: HolderJson[] | null;
}

/** The statements of one schema. */
export function appendStatements(tables: Tables): AppendStatements {
  // Unnamed, as every statement of the store is: a named one would live on a server connection that a
  // transaction pooler (PgBouncer) hands to another client at the next transaction.
  const facts = callFactsSql(tables);
  return {
    async run(pool, assumptions, writes) {
      const { rows } = await pool.query<{ ok: boolean; commit_mode: string; facts: FactsJson | null }>(batchStatement(tables, assumptions, writes));
      const row = rows[0]!;
      return row.ok ? { committed: true, commitMode: row.commit_mode } : { committed: false, facts: decodeFacts(row.facts!) };
    },
    async readCallFacts(pool, verificationIds, openings) {
      const calls = verificationIds.map((id) => ({ verification_id: id }));
      const { rows } = await pool.query<Pick<FactsJson, 'calls' | 'holders'>>(facts, [JSON.stringify(calls), JSON.stringify(openings)]);
      return { calls: callMap(rows[0]!.calls), holders: holderMap(rows[0]!.holders) };
    },
  };
}

function decodeFacts(json: FactsJson): BatchFacts {
  return {
    edge: json.edge ? { size: Number(json.edge.size), hashes: Buffer.from(json.edge.hashes, 'hex'), lastAt: json.edge.lastAt } : null,
    tail: json.tail ? { index: Number(json.tail.index), at: json.tail.at, root: Buffer.from(json.tail.root, 'hex') } : null,
    present: (json.present ?? []).map(([provider, id]) => eventKey(provider, id)),
    epochs: new Map((json.epochs ?? []).map(([device, epoch]) => [device, Number(epoch)])),
    calls: callMap(json.calls),
    holders: holderMap(json.holders),
  };
}

function callMap(rows: PgCallRow[] | null | undefined): Map<string, CallRecord> {
  return new Map((rows ?? []).map((row) => [row.verification_id, callFromRow(row)]));
}

function holderMap(rows: HolderJson[] | null | undefined): Map<string, CallRecord> {
  return new Map((rows ?? []).map((row) => [holderKey(row.reference, row.opener), callFromRow(row)]));
}
