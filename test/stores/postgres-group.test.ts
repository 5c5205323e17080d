import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { leafBytes, leafHash, merkleTreeHash, toHex, type AppendOptions, type AuditEntry, type AuditEntryInput, type BridgeStore, type CallFields } from '../../src/index.js';
import postgresStore from '../../src/stores/postgres.js';
import { runJsonChild } from '../support/json-child.js';
import { adminQuery, describePostgres, dropSchema, uniqueSchema } from './postgres-fixture.js';
import { expectedRootHex, T0 } from './store-suite.js';

const builtStore = new URL('../../dist/stores/postgres.js', import.meta.url);
const childScript = fileURLToPath(new URL('./postgres-group-child.mjs', import.meta.url));

/** One append statement as the database answered it: the indexes it carried and whether it wrote them. */
interface StatementSeen {
  indexes: number[];
  committed: boolean;
}

/**
 * Watches the store's append statements on every connection of `pool`: `onAnswer` runs when the database's
 * answer reaches the client, before the store sees it.
 */
function watchAppendStatements(pool: pg.Pool, onAnswer: (seen: StatementSeen) => void, fail?: () => Error | undefined): void {
  pool.on('connect', (client: pg.PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const [config] = args as [{ text?: unknown; values?: unknown[] }];
      const callback = args.findIndex((arg) => typeof arg === 'function');
      if (typeof config?.text !== 'string' || !config.text.includes('.audit_entries (idx') || callback < 0) return query(...args);
      // The entries go as one JSON parameter of rows, each with its index.
      const entries = config.values!.find((value) => typeof value === 'string' && value.startsWith('[{"idx":')) as string;
      const indexes = (JSON.parse(entries) as { idx: number }[]).map((row) => row.idx);
      const done = args[callback] as (error: unknown, result?: pg.QueryResult) => void;
      const injected = fail?.();
      if (injected) {
        setImmediate(() => done(injected));
        return undefined;
      }
      args[callback] = (error: unknown, result?: pg.QueryResult) => {
        if (result) onAnswer({ indexes, committed: result.rows[0].ok as boolean });
        done(error, result);
      };
      return query(...args);
    };
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const input = (n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput => ({ type: 'test.event', source: 'sdk', data: { n }, ...extra });

describePostgres('postgres group commit', (url) => {
  const schemas: string[] = [];
  const stores: BridgeStore[] = [];
  const pools: pg.Pool[] = [];
  const setUp = (poolConfig: pg.PoolConfig = {}) => {
    const schema = uniqueSchema('group');
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: url, max: 4, ...poolConfig });
    pools.push(pool);
    const store = postgresStore({ pool, schema, leaseClock: 'caller' });
    stores.push(store);
    return { schema, pool, store };
  };

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const pool of pools.splice(0)) await pool.end();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it('writes a burst of appends in a few shared statements, in the order made, each acknowledged only after its statement committed', async () => {
    const { pool, store } = setUp();
    const events: string[] = [];
    watchAppendStatements(pool, ({ indexes, committed }) => events.push(`${committed ? 'committed' : 'refused'} ${indexes.join(',')}`));
    await store.head();
    const appended = await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        store.append(input(n), T0).then((entry) => {
          events.push(`acknowledged ${entry.index}`);
          return entry;
        }),
      ),
    );
    expect(appended.map((entry) => entry.index)).toEqual(appended.map((_, n) => n));
    expect(appended.map((entry) => entry.data.n)).toEqual(appended.map((_, n) => n));
    const statements = events.filter((event) => event.startsWith('committed'));
    expect(statements.length, 'statements for 60 appends made at once').toBeLessThanOrEqual(3);
    for (const entry of appended) {
      const committedAt = events.findIndex((event) => event.startsWith('committed') && event.slice(10).split(',').includes(String(entry.index)));
      expect(committedAt, `entry ${entry.index} was committed`).toBeGreaterThanOrEqual(0);
      expect(events.indexOf(`acknowledged ${entry.index}`), `entry ${entry.index} acknowledged after its commit`).toBeGreaterThan(committedAt);
    }
    expect(await store.readEntries()).toStrictEqual(appended);
    expect((await store.verify()).ok).toBe(true);
  });

  it('fails every append of a statement that fails, acknowledges none of them, and goes on from the log as it is', async () => {
    const { pool, store } = setUp();
    let failNext = false;
    watchAppendStatements(pool, () => undefined, () => {
      if (!failNext) return undefined;
      failNext = false;
      return new Error('Connection terminated unexpectedly');
    });
    await store.append(input(0), T0);
    failNext = true;
    const burst = await Promise.allSettled(Array.from({ length: 5 }, (_, n) => store.append(input(1 + n), T0)));
    expect(burst.map((outcome) => outcome.status)).toEqual(Array(5).fill('rejected'));
    for (const outcome of burst) expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_FAILED' });
    expect((await store.append(input(6), T0)).index).toBe(1);
    expect((await store.verify()).ok).toBe(true);
  });

  describe('a burst holding appends the store must refuse', () => {
    const fields = (reference: string, extra: Partial<CallFields> = {}): CallFields => ({
      reference,
      referenceExpiresAtMs: T0 + 600_000,
      state: 'requested',
      expiresAtMs: T0 + 3_600_000,
      owner: 'server-a',
      ...extra,
    });
    const open = (store: BridgeStore, verificationId: string, reference: string, extra: Partial<CallFields> = {}) =>
      store.append(input(0, { verificationId }), T0, { call: { expectedVersion: null, set: fields(reference, extra) } });

    it('refuses each of them alone, with its own code, and writes the others in order in a few statements', async () => {
      const { pool, store } = setUp();
      let statements = 0;
      watchAppendStatements(pool, () => (statements += 1));
      await store.append(input(0, { provider: 'daily', providerEventId: 'evt-1' }), T0);
      await store.acquireLease({ deviceId: 'ops-1', holder: 'ver-old', ttlMs: 1_000, nowMs: T0 });
      const lease = await store.acquireLease({ deviceId: 'ops-1', holder: 'ver-new', ttlMs: 60_000, nowMs: T0 + 2_000 });
      const a = await open(store, 'ver-a', 'REF-A');
      await open(store, 'ver-b', 'REF-B');
      await open(store, 'ver-c', 'REF-C', { provider: 'daily', providerCallId: 'room-1' });
      const base = (await store.head()).size;
      statements = 0;

      const burst: [AuditEntryInput, AppendOptions, string][] = [
        [input(100), {}, 'ok'],
        [input(101, { provider: 'daily', providerEventId: 'evt-1' }), {}, 'DUPLICATE_EVENT'],
        [input(102), {}, 'ok'],
        [input(103), { fence: { deviceId: 'ops-1', epoch: 1 } }, 'LEASE_LOST'],
        [input(104, { verificationId: 'ver-a' }), { call: { expectedVersion: a.index - 1, set: { state: 'routed' } } }, 'CALL_CHANGED'],
        [input(105, { verificationId: 'ver-d' }), { call: { expectedVersion: null, set: fields('REF-B') } }, 'REFERENCE_TAKEN'],
        [input(106), { fence: { deviceId: 'ops-1', epoch: lease!.epoch } }, 'ok'],
        [input(107, { verificationId: 'ver-e' }), { call: { expectedVersion: null, set: fields('REF-E', { provider: 'daily', providerCallId: 'room-1' }) } }, 'STORE_FAILED'],
        [input(108, { verificationId: 'ver-f' }), { call: { expectedVersion: null, set: fields('REF-F') } }, 'ok'],
        [input(109, { provider: 'daily', providerEventId: 'evt-2' }), {}, 'ok'],
        [input(110, { provider: 'daily', providerEventId: 'evt-2' }), {}, 'DUPLICATE_EVENT'],
        [input(111, { verificationId: 'ver-a' }), { call: { expectedVersion: a.index, set: { state: 'routed' } } }, 'ok'],
        [input(112), {}, 'ok'],
      ];
      const outcomes = await Promise.allSettled(burst.map(([entry, options]) => store.append(entry, T0, options)));
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as { code: string }).code))).toEqual(burst.map(([, , expected]) => expected));
      const written = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<AuditEntry>).value);
      expect(written.map((entry) => entry.index)).toEqual(written.map((_, i) => base + i));
      expect(written.map((entry) => entry.data.n)).toEqual(burst.filter(([, , expected]) => expected === 'ok').map(([entry]) => entry.data.n));
      expect(await store.readEntries({ fromIndex: base })).toStrictEqual(written);
      expect(await store.findCall({ verificationId: 'ver-a' })).toMatchObject({ state: 'routed', version: written.find((e) => e.data.n === 111)!.index });
      expect(await store.findCall({ verificationId: 'ver-f' })).toMatchObject({ reference: 'REF-F', version: written.find((e) => e.data.n === 108)!.index });
      for (const verificationId of ['ver-d', 'ver-e']) expect(await store.findCall({ verificationId })).toBeNull();
      expect((await store.verify()).ok).toBe(true);
      // Refusals the plan can see cost no statement of their own; only the provider call id, which it cannot, sends the batch one by one.
      expect(statements, 'append statements for the burst').toBeLessThanOrEqual(20);
    });

    it('finds a provider event already logged by its own check, so the rest of the burst goes in the next statement', async () => {
      const { pool, store } = setUp();
      const seen: StatementSeen[] = [];
      watchAppendStatements(pool, (statement) => seen.push(statement));
      await store.append(input(0, { provider: 'daily', providerEventId: 'evt-1' }), T0);
      seen.length = 0;
      const burst = Array.from({ length: 10 }, (_, n) => store.append(input(1 + n, n === 4 ? { provider: 'daily', providerEventId: 'evt-1' } : {}), T0));
      const outcomes = await Promise.allSettled(burst);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.index : (o.reason as { code: string }).code))).toEqual([1, 2, 3, 4, 'DUPLICATE_EVENT', 5, 6, 7, 8, 9]);
      // One statement finds the event and writes nothing; the next writes the other nine.
      expect(seen.map((s) => s.committed)).toEqual([false, true]);
      expect(seen[1]!.indexes).toHaveLength(9);
    });

    it('gives one reference to exactly one of the calls a burst opens with it, and one version of a call to one change', async () => {
      const { store } = setUp();
      const a = await open(store, 'ver-a', 'REF-A');
      const opens = Array.from({ length: 8 }, (_, i) => open(store, `ver-x${i}`, 'REF-X'));
      const changes = Array.from({ length: 8 }, (_, i) =>
        store.append(input(i, { verificationId: 'ver-a' }), T0, { call: { expectedVersion: a.index, set: { owner: `server-${i}` } } }),
      );
      const opened = await Promise.allSettled(opens);
      const changed = await Promise.allSettled(changes);
      expect(opened.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(opened.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(7).fill('REFERENCE_TAKEN'));
      expect(changed.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(changed.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(7).fill('CALL_CHANGED'));
      expect(await store.listLiveCalls()).toHaveLength(2);
    });
  });

  describe('two servers whose batches queue behind one lock on the edge row', () => {
    /** Holds the edge row as a batch of a third server would, until `release` is called. */
    async function holdEdgeRow(schema: string): Promise<{ release: () => Promise<void> }> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('BEGIN');
      await client.query(`SELECT 1 FROM "${schema}".tree_edge WHERE id = 1 FOR UPDATE`);
      return {
        release: async () => {
          await client.query('COMMIT');
          await client.end();
        },
      };
    }
    // a appended last, so its view of the tail is current; b's is one entry behind.
    const twoServers = async () => {
      const { schema, store: a } = setUp();
      const b = postgresStore({ connectionString: url, schema, leaseClock: 'caller' });
      stores.push(b);
      await b.append(input(0), T0);
      await a.append(input(1), T0);
      return { schema, a, b };
    };

    it('checks who holds a reference under the lock, not in the snapshot taken before it, so only one opens it', async () => {
      const { schema, a, b } = await twoServers();
      const set = { reference: 'REF-X', referenceExpiresAtMs: T0 + 600_000, state: 'requested' as const, expiresAtMs: T0 + 600_000, owner: 'server' };
      const held = await holdEdgeRow(schema);
      // Both read "no holder" and take their snapshots before either can lock the edge row.
      // Settled as they end, so a refusal that comes while the lock is being released is already listened for.
      const opens = Promise.allSettled([a, b].map((s, i) => s.append(input(10 + i, { verificationId: `ver-${i}` }), T0, { call: { expectedVersion: null, set } })));
      await sleep(300);
      await held.release();
      const outcomes = await opens;
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['REFERENCE_TAKEN']);
      expect(await a.listLiveCalls()).toHaveLength(1);
    });

    it('reads a fenced device’s epoch under the lock, so a write whose lease was taken over while it queued is refused', async () => {
      const { schema, a, b } = await twoServers();
      const first = await a.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 1_000, nowMs: T0 });
      const held = await holdEdgeRow(schema);
      const fenced = a.append(input(20), T0, { fence: { deviceId: 'ops-1', epoch: first!.epoch } });
      fenced.catch(() => undefined); // listened for now; checked below
      await sleep(300);
      // The lease lapses and another server takes it while the fenced write waits, its snapshot taken.
      expect((await b.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: T0 + 2_000 }))?.epoch).toBe(first!.epoch + 1);
      await held.release();
      await expect(fenced).rejects.toMatchObject({ code: 'LEASE_LOST' });
      expect((await a.readEntries()).map((entry) => entry.data.n)).toEqual([0, 1]);
    });
  });

  it('sends an append that arrives while a batch is in flight behind it, and refuses it when another server wrote the edge it expected to follow', async () => {
    const { schema, store: first } = setUp();
    await first.append(input(0), T0);
    // Two fresh servers read the same tail; b's append queues on the edge row ahead of a's two.
    const aPool = new pg.Pool({ connectionString: url, max: 4 });
    pools.push(aPool);
    const seen: StatementSeen[] = [];
    watchAppendStatements(aPool, (statement) => seen.push(statement));
    const a = postgresStore({ pool: aPool, schema });
    const b = postgresStore({ connectionString: url, schema });
    stores.push(a, b);
    await Promise.all([a.head(), b.head()]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`SELECT 1 FROM "${schema}".tree_edge WHERE id = 1 FOR UPDATE`);
    const fromB = b.append(input(1, { actor: 'b' }), T0);
    await sleep(200);
    const fromA = a.append(input(2, { actor: 'a' }), T0);
    await sleep(200);
    // Planned on the edge a's first append will leave: one entry on top of entry 0, the size b's will leave too.
    const behind = a.append(input(3, { actor: 'a' }), T0);
    await sleep(200);
    const waiting = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%${schema}".tree_edge%'`);
    expect(waiting[0]!.n, 'statements queued on the edge row').toBe(3);
    await client.query('COMMIT');
    await client.end();
    const written = await Promise.all([fromB, fromA, behind]);
    expect(written.map((entry) => entry.data.n)).toEqual([1, 2, 3]);
    expect(written.map((entry) => entry.index)).toEqual([1, 2, 3]);
    expect(await first.verify()).toMatchObject({ ok: true, entries: 4 });
    // a's first was refused (b had taken index 1); the one behind it, planned on that first, was refused too, then both written.
    expect(seen.map((statement) => statement.committed).slice(0, 2)).toEqual([false, false]);
  });

  it('rebuilds from the leaves, not from another writer’s edge row, when that row does not give the root recorded with the last entry', async () => {
    const { schema, store } = setUp();
    for (let n = 0; n < 5; n += 1) await store.append(input(n), T0);
    // Another writer (an older version, or someone with psql) added entry 5 and left an edge row that does not match it.
    await adminQuery(`INSERT INTO "${schema}".audit_entries SELECT 5, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root FROM "${schema}".audit_entries WHERE idx = 4`);
    await adminQuery(`UPDATE "${schema}".tree_edge SET size = 6, hashes = decode(repeat('00', 64), 'hex')`);
    const entry = await store.append(input(6), T0);
    expect(entry.index).toBe(6);
    const stored = await adminQuery<{ leaf_hash: Buffer; tree_root: Buffer }>(`SELECT leaf_hash, tree_root FROM "${schema}".audit_entries ORDER BY idx`);
    expect(toHex(stored[6]!.tree_root)).toBe(toHex(merkleTreeHash(stored.map((row) => row.leaf_hash))));
    expect(toHex(stored[6]!.leaf_hash)).toBe(toHex(leafHash(leafBytes(entry))));
  });

  it('goes on appending, with the right roots, when the edge row is deleted or edited under a running store', async () => {
    const { schema, store } = setUp();
    const entries: AuditEntry[] = [];
    for (let n = 0; n < 3; n += 1) entries.push(await store.append(input(n), T0));
    for (const sql of ['DELETE FROM $edge', `UPDATE $edge SET hashes = decode(repeat('00', length(hashes)), 'hex')`, 'UPDATE $edge SET size = 2', 'UPDATE $edge SET last_at = NULL, size = size + 1']) {
      await adminQuery(sql.replace('$edge', `"${schema}".tree_edge`));
      entries.push(await store.append(input(entries.length), T0));
      const [row] = await adminQuery<{ tree_root: Buffer }>(`SELECT tree_root FROM "${schema}".audit_entries ORDER BY idx DESC LIMIT 1`);
      expect(toHex(row!.tree_root), sql).toBe(expectedRootHex(entries));
    }
    expect(await store.verify()).toMatchObject({ ok: true, entries: entries.length });
    const fresh = postgresStore({ connectionString: url, schema });
    stores.push(fresh);
    entries.push(await fresh.append(input(entries.length), T0));
    expect(await fresh.verify()).toMatchObject({ ok: true, entries: entries.length });
  });
});

describePostgres('postgres group commit shared by four processes of six writers each', (url) => {
  const PROCESSES = 4;
  const WRITERS = 6;
  const schema = uniqueSchema('group_processes');
  let store: BridgeStore;
  let reports: { id: number; appends: { writer: number; n: number; index: number; at: string }[] }[];

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  });

  it('builds one verifiable tree of every acknowledged append exactly once, each writer’s in its order, every process making progress', async () => {
    expect(fs.existsSync(fileURLToPath(builtStore)), 'the global setup builds dist/').toBe(true);
    store = postgresStore({ connectionString: url, schema, maxConnections: 2 });
    await store.head(); // create the tables before the children race
    const startAtMs = Date.now() + 1_500;
    reports = await Promise.all(
      Array.from({ length: PROCESSES }, (_, id) => runJsonChild<(typeof reports)[number]>([childScript, builtStore.href, url, schema, String(id), String(WRITERS), '2000', String(startAtMs)])),
    );
    const entries = await store.readEntries();
    expect(await store.verify()).toEqual({ ok: true, entries: entries.length, root: toHex((await store.head()).root) });
    const acknowledged = reports.flatMap((report) => report.appends.map((a) => ({ ...a, process: report.id })));
    // Every child ran to its end, so every entry in the log was acknowledged to exactly one writer.
    expect(acknowledged.map((a) => a.index).sort((x, y) => x - y)).toEqual(entries.map((_, i) => i));
    for (const a of acknowledged) expect(entries[a.index]).toMatchObject({ at: a.at, data: { process: a.process, writer: a.writer, n: a.n } });
    for (const report of reports) {
      expect(report.appends.length, `process ${report.id} appended`).toBeGreaterThan(20);
      for (let writer = 0; writer < WRITERS; writer += 1) {
        const inLog = entries.filter((e) => e.data.process === report.id && e.data.writer === writer).map((e) => e.data.n);
        expect(inLog).toEqual(inLog.map((_, n) => n));
      }
    }
    const ats = entries.map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
  }, 60_000);
});
