// Runs in a child with a small heap: `verify` times the store's verify(), `raw` reads the same rows in the
// same pages and hashes each once. Prints {ms, entries, heapMb} as JSON.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import postgresStore from '../dist/stores/postgres.js';
import { POSTGRES_URL } from './pg-log.mjs';

const [mode, schema] = process.argv.slice(2);
const PAGE = 1000;

async function raw() {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  let after = -1;
  let entries = 0;
  for (;;) {
    const { rows } = await client.query(`SELECT * FROM "${schema}".audit_entries WHERE idx > $1 ORDER BY idx LIMIT ${PAGE}`, [after]);
    for (const row of rows) createHash('sha256').update(row.data).update(row.leaf_hash).digest();
    entries += rows.length;
    if (rows.length < PAGE) break;
    after = rows.at(-1).idx;
  }
  await client.end();
  return entries;
}

async function verify() {
  const store = postgresStore({ connectionString: POSTGRES_URL, schema });
  const result = await store.verify();
  await store.close();
  if (!result.ok) throw new Error(`verify failed: ${JSON.stringify(result)}`);
  return result.entries;
}

const started = performance.now();
const entries = mode === 'raw' ? await raw() : await verify();
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, entries, heapMb: process.memoryUsage().heapUsed / 1e6 }));
