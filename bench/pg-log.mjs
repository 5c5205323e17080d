// PostgreSQL logs for the benches: the store's schema, the core's hashing, rows inserted a thousand at a
// time in one transaction, so a log of a million entries does not take a million durable commits.
import pg from 'pg';
import { MerkleFrontier, prepareAppend } from '../dist/index.js';
import postgresStore from '../dist/stores/postgres.js';
import { benchEntry } from './fill-log.mjs';

const BATCH = 1000;

/** The database the PostgreSQL lines use, or undefined when none is configured. */
export const POSTGRES_URL = process.env.VCB_BENCH_POSTGRES_URL ?? process.env.VCB_TEST_POSTGRES_URL;

/** Why the PostgreSQL lines cannot run here, or undefined when the database answers: a line's `skip`. */
export async function postgresUnavailable() {
  if (POSTGRES_URL === undefined) return 'no PostgreSQL: set VCB_TEST_POSTGRES_URL (or VCB_BENCH_POSTGRES_URL)';
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL at VCB_TEST_POSTGRES_URL does not answer: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops `schema` and writes a valid log of `count` entries into it, as the store's own appends would leave it. */
export async function fillPostgresLog(schema, count) {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await postgresStore({ connectionString: POSTGRES_URL, schema }).head();
    await client.query('BEGIN');
    let tail = { frontier: new MerkleFrontier() };
    for (let start = 0; start < count; start += BATCH) {
      const rows = [];
      const subtrees = [];
      for (let i = start; i < Math.min(count, start + BATCH); i += 1) {
        const prepared = prepareAppend(benchEntry(i), Date.now(), tail);
        const { entry } = prepared;
        rows.push([i, entry.verificationId, entry.type, entry.at, entry.source, entry.provider, entry.providerEventId ?? null, JSON.stringify(entry.data), Buffer.from(prepared.leafHash), Buffer.from(prepared.rootAfter)]);
        subtrees.push(...prepared.subtrees);
        tail = { frontier: prepared.frontier, lastAt: entry.at };
      }
      const columns = rows[0].map((_, c) => rows.map((row) => row[c]));
      await client.query(
        `INSERT INTO "${schema}".audit_entries (idx, verification_id, type, at, source, provider, provider_event_id, data, leaf_hash, tree_root)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::bytea[])`,
        columns,
      );
      if (subtrees.length > 0) {
        await client.query(`INSERT INTO "${schema}".tree_subtrees (level, idx, hash) SELECT * FROM unnest($1::integer[], $2::bigint[], $3::bytea[])`, [
          subtrees.map((s) => s.level),
          subtrees.map((s) => s.index),
          subtrees.map((s) => Buffer.from(s.hash)),
        ]);
      }
    }
    await client.query(`INSERT INTO "${schema}".tree_edge (id, size, hashes) VALUES (1, $1, $2)`, [count, Buffer.from(tail.frontier.edgeBytes())]);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

const shared = new Map();

/**
 * The schema of a log of at least `size` entries, filled once per process and shared by the lines
 * (each may append a few entries of its own); dropped when the bench ends.
 */
export function sharedPostgresLog(size) {
  if (!shared.has(size)) {
    if (shared.size === 0) process.once('beforeExit', dropShared);
    const schema = `vcb_bench_log_${size}`;
    shared.set(size, fillPostgresLog(schema, size).then(() => schema));
  }
  return shared.get(size);
}

async function dropShared() {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    for (const schema of await Promise.all(shared.values())) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    shared.clear();
    await client.end();
  }
}
