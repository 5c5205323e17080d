// Shared by the PostgreSQL bench lines: the store's appends, the raw inserts they are compared with, and
// the processes that contend for one log. Every run uses a schema of its own, dropped afterwards.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { POSTGRES_URL } from './pg-log.mjs';

// The built store, or another build of it (say, of main) to compare with: VCB_BENCH_DIST=/path/to/dist.
const DIST = process.env.VCB_BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const STORE = new URL(`file://${DIST}/stores/postgres.js`).href;
const WRITER = fileURLToPath(new URL('./postgres-writer.mjs', import.meta.url));

/** Runs `work` on a schema of its own, dropped afterwards. */
export async function inFreshSchema(label, work) {
  const schema = `vcb_bench_${label}_${randomBytes(4).toString('hex')}`;
  try {
    return await work(schema);
  } finally {
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

/** An append as a webhook brings it: a provider event with its id, for a verification, with a small body. */
export function webhookInput(writer, n) {
  return {
    type: 'bench.append',
    source: 'provider',
    provider: 'daily',
    providerEventId: `${writer}-${n}-${randomBytes(4).toString('hex')}`,
    verificationId: `ver-${writer}`,
    data: { writer, n, body: 'x'.repeat(200) },
  };
}

/** Milliseconds for `total` appends by `clients` callers of one store, each awaiting its append before the next. */
export async function storeAppends(schema, total, clients) {
  const { default: postgresStore } = await import(STORE);
  const store = postgresStore({ connectionString: POSTGRES_URL, schema, maxConnections: clients });
  try {
    // Tables made and connections opened before the clock starts.
    await Promise.all(Array.from({ length: clients }, (_, w) => store.append(webhookInput(`warm-${w}`, 0), Date.now())));
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, w) => {
        for (let n = 0; n < total / clients; n += 1) await store.append(webhookInput(w, n), Date.now());
      }),
    );
    return performance.now() - started;
  } finally {
    await store.close();
  }
}

/**
 * Milliseconds for `total` rows inserted by `clients` connections, each INSERT its own transaction, into a
 * table made LIKE the store's log (same columns, indexes and unique provider-event key), rows of the same size.
 */
export async function rawInserts(schema, total, clients) {
  const { default: pg } = await import('pg');
  const { default: postgresStore } = await import(STORE);
  const store = postgresStore({ connectionString: POSTGRES_URL, schema });
  await store.head();
  await store.close();
  await sql(`CREATE TABLE "${schema}".raw_entries (LIKE "${schema}".audit_entries INCLUDING ALL)`);
  const insert = `INSERT INTO "${schema}".raw_entries (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
    VALUES ($1, $2, 'bench.append', $3, NULL, 'provider', 'daily', NULL, $4, $5, $6, $7)`;
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      return client;
    }),
  );
  try {
    const started = performance.now();
    await Promise.all(
      connections.map(async (client, c) => {
        for (let n = 0; n < total / clients; n += 1) {
          const input = webhookInput(c, n);
          await client.query(insert, [c + n * clients, input.verificationId, new Date().toISOString(), input.providerEventId, JSON.stringify(input.data), randomBytes(32), randomBytes(32)]);
        }
      }),
    );
    return performance.now() - started;
  } finally {
    await Promise.all(connections.map((client) => client.end()));
  }
}

/** Appends per second by `processes` server processes of `writers` writers each, all on one log for `runMs`. */
export async function contendedRate(schema, processes, writers, runMs) {
  const { default: postgresStore } = await import(STORE);
  const store = postgresStore({ connectionString: POSTGRES_URL, schema });
  await store.head(); // tables made before the processes race
  await store.close();
  const startAtMs = Date.now() + 1_500;
  const counts = await Promise.all(Array.from({ length: processes }, (_, id) => runWriter([STORE, POSTGRES_URL, schema, String(id), String(writers), String(runMs), String(startAtMs)])));
  return (counts.reduce((sum, count) => sum + count, 0) * 1_000) / runMs;
}

function runWriter(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(stdout)) : reject(new Error(`a writer process failed (${code}): ${stderr}`))));
  });
}

async function sql(text) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

