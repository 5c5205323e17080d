import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { entryColumns, MerkleFrontier, prepareAppend, toHex, type AuditEntry, type AuditEntryInput, type BridgeStore } from '../../src/index.js';
import postgresStore, { type PostgresStoreOptions } from '../../src/stores/postgres.js';
import { adminQuery, describePostgres, dropSchema, uniqueSchema } from './postgres-fixture.js';
import { expectBridgeError, expectedRootHex, T0, testStore } from './store-suite.js';

function input(n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { type: 'test.event', source: 'sdk', data: { n, nested: { list: [n, { n }] } }, ...extra };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The database's clock, as the store reads it. */
async function databaseNowMs(): Promise<number> {
  const [row] = await adminQuery<{ now_ms: number }>('SELECT extract(epoch from clock_timestamp()) * 1000 AS now_ms');
  return Number(row!.now_ms);
}

/** Module URLs a fresh node process resolves when it imports the built store and, if `use`, calls it once. */
function importsOfStore(use: boolean): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-imports-'));
  const log = join(dir, 'imports.log');
  const script = `
    const { default: postgresStore } = await import('verification-call-bridge/stores/postgres');
    const store = postgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    if (process.argv[1] === 'use') await store.head().catch(() => undefined);
    await store.close();`;
  try {
    execFileSync(process.execPath, ['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', script, use ? 'use' : 'idle'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, VCB_IMPORT_LOG: log },
      stdio: 'pipe',
    });
    return readFileSync(log, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('postgres store without a server', () => {
  it('loads pg only when the store is first used, so apps without it can import the package', () => {
    const pgModule = (url: string) => url.includes('/node_modules/pg/');
    const idle = importsOfStore(false);
    expect(idle.some((url) => url.endsWith('/dist/stores/postgres.js'))).toBe(true);
    expect(idle.filter(pgModule)).toEqual([]);
    expect(importsOfStore(true).some(pgModule)).toBe(true);
  });
});

describePostgres('postgres store', (url) => {
  // The suite moves time through nowMs, so it runs on the caller's clock; the database's clock is tested below.
  testStore('postgres', () => {
    const schema = uniqueSchema('suite');
    return {
      store: postgresStore({ connectionString: url, schema, leaseClock: 'caller', maxConnections: 4 }),
      cleanup: () => dropSchema(schema),
    };
  });

  describe('on its own', () => {
    const schemas: string[] = [];
    const open: BridgeStore[] = [];
    const pools: pg.Pool[] = [];
    const newSchema = () => {
      const schema = uniqueSchema('pg');
      schemas.push(schema);
      return schema;
    };
    const store = (options: PostgresStoreOptions) => {
      const created = postgresStore({ maxConnections: 4, ...options });
      open.push(created);
      return created;
    };
    const appPool = (config: pg.PoolConfig = {}) => {
      const pool = new pg.Pool({ connectionString: url, max: 2, ...config });
      pools.push(pool);
      return pool;
    };

    afterEach(async () => {
      vi.unstubAllEnvs();
      for (const s of open.splice(0)) await s.close();
      for (const pool of pools.splice(0)) await pool.end();
      for (const schema of schemas.splice(0)) await dropSchema(schema);
    });

    describe('leases on the database clock (the default)', () => {
      it('times a lease by the database, whatever the caller’s nowMs says', async () => {
        const s = store({ connectionString: url, schema: newSchema() });
        const before = await databaseNowMs();
        const lease = await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: 0 });
        const after = await databaseNowMs();
        expect(lease).toMatchObject({ deviceId: 'ops-1', holder: 'ver-a', epoch: 1 });
        expect(lease!.expiresAtMs).toBeGreaterThanOrEqual(Math.floor(before) + 60_000);
        expect(lease!.expiresAtMs).toBeLessThanOrEqual(after + 60_000);
        // A caller whose clock is a day fast cannot see the lease as lapsed, nor take it.
        const dayLater = Date.now() + 86_400_000;
        expect(await s.currentLease('ops-1', dayLater)).toEqual(lease);
        expect(await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: dayLater })).toBeNull();
      });

      it('lets a lease lapse when the database’s clock passes its expiry, and not before', async () => {
        const s = store({ connectionString: url, schema: newSchema() });
        const first = await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 400, nowMs: 0 });
        expect(await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 400, nowMs: 0 })).toBeNull();
        let second = null;
        while (second === null) {
          await sleep(50);
          second = await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 400, nowMs: 0 });
        }
        expect(second.epoch).toBe(2);
        // Granted at expiresAtMs - ttlMs on the same clock, which is no earlier than the first lease's end.
        expect(second.expiresAtMs - 400).toBeGreaterThanOrEqual(first!.expiresAtMs);
        expect(await databaseNowMs()).toBeGreaterThanOrEqual(first!.expiresAtMs);
      });
    });

    describe('while another transaction has the lease row locked', () => {
      /** Locks ops-1's lease row as a concurrent lease change would, until `unlock` is called. */
      async function lockLeaseRow(schema: string): Promise<{ unlock: () => Promise<void> }> {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query('BEGIN');
        expect((await client.query(`SELECT 1 FROM "${schema}".device_leases WHERE device_id = 'ops-1' FOR UPDATE`)).rowCount).toBe(1);
        return {
          unlock: async () => {
            await client.query('COMMIT');
            await client.end();
          },
        };
      }
      const request = (holder: string, nowMs: number) => ({ deviceId: 'ops-1', holder, ttlMs: 30_000, nowMs });
      const settledWithin = async <T>(promise: Promise<T>, ms: number) =>
        Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

      it('answers busy at once to a contender for a live lease, without queueing', async () => {
        const schema = newSchema();
        const s = store({ connectionString: url, schema, leaseClock: 'caller' });
        await s.acquireLease(request('ver-a', T0));
        const lock = await lockLeaseRow(schema);
        try {
          const contender = s.acquireLease(request('ver-b', T0 + 1_000));
          expect(await settledWithin(contender, 2_000)).toBe(true);
          expect(await contender).toBeNull();
        } finally {
          await lock.unlock();
        }
      });

      it('makes the holder renewing, or contenders for a lapsed lease, wait for the row and then decide one by one', async () => {
        const schema = newSchema();
        const s = store({ connectionString: url, schema, leaseClock: 'caller' });
        await s.acquireLease(request('ver-a', T0));
        let lock = await lockLeaseRow(schema);
        const renewal = s.acquireLease(request('ver-a', T0 + 1_000));
        expect(await settledWithin(renewal, 300)).toBe(false);
        await lock.unlock();
        expect(await renewal).toEqual({ deviceId: 'ops-1', holder: 'ver-a', epoch: 1, expiresAtMs: T0 + 31_000 });

        // Two contenders for the lapsed lease both wait; once the row is free exactly one of them gets it.
        lock = await lockLeaseRow(schema);
        const takeovers = Promise.all([s.acquireLease(request('ver-b', T0 + 31_000)), s.acquireLease(request('ver-c', T0 + 31_000))]);
        expect(await settledWithin(takeovers, 300)).toBe(false);
        await lock.unlock();
        const winners = (await takeovers).filter((lease) => lease !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toMatchObject({ deviceId: 'ops-1', epoch: 2, expiresAtMs: T0 + 61_000 });
      });

      it('makes a contender for a lapsed lease wait for a fenced write in flight, and then see the call it put on the device', async () => {
        const schema = newSchema();
        const s = store({ connectionString: url, schema, leaseClock: 'caller' });
        await s.acquireLease(request('ver-a', T0));
        // What a write fenced with ver-a's lease does inside its transaction: share-lock the lease row, then write the call row.
        const writer = new pg.Client({ connectionString: url });
        await writer.connect();
        try {
          await writer.query('BEGIN');
          await writer.query(`SELECT 1 FROM "${schema}".device_leases WHERE device_id = 'ops-1' FOR SHARE`);
          await writer.query(
            `INSERT INTO "${schema}".calls (verification_id, reference, reference_expires_at_ms, state, version, updated_at_ms, expires_at_ms, owner, device_id, epoch, opened_idx)
             VALUES ('ver-a', 'REF-1', $1, 'routed', 0, $1, $1, 'server-a', 'ops-1', 1, 0)`,
            [T0 + 60_000],
          );
          const contender = s.acquireLease(request('ver-b', T0 + 31_000));
          expect(await settledWithin(contender, 300)).toBe(false);
          await writer.query('COMMIT');
          expect(await contender).toBeNull();
        } finally {
          await writer.end();
        }
        expect(await s.currentLease('ops-1', T0 + 31_000)).toBeNull();
      });
    });

    describe('shared by several store objects (several app servers)', () => {
      it('keeps one consistent log when two stores with their own pools append alternately', async () => {
        const schema = newSchema();
        const a = store({ connectionString: url, schema });
        const b = store({ connectionString: url, schema });
        const returned: AuditEntry[] = [];
        for (let i = 0; i < 12; i += 1) {
          // b's clock runs 10 s behind a's; at still never goes backwards.
          const atMs = i % 2 === 0 ? T0 + i * 1_000 : T0 + i * 1_000 - 10_000;
          returned.push(await (i % 2 === 0 ? a : b).append(input(i, { actor: i % 2 === 0 ? 'a' : 'b' }), atMs));
        }
        expect(returned.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        const ats = returned.map((e) => e.at);
        expect([...ats].sort()).toEqual(ats);
        expect(await b.readEntries()).toStrictEqual(returned);
        const root = expectedRootHex(returned);
        expect(toHex((await a.head()).root)).toBe(root);
        expect(await a.verify()).toEqual({ ok: true, entries: 12, root });
        expect(await b.verify()).toEqual({ ok: true, entries: 12, root });
      });

      it('shares duplicate detection, leases and fences between stores', async () => {
        const schema = newSchema();
        const a = store({ connectionString: url, schema });
        const b = store({ connectionString: url, schema });
        await a.append(input(0, { provider: 'daily', providerEventId: 'evt-1' }), T0);
        await expectBridgeError(b.append(input(1, { provider: 'daily', providerEventId: 'evt-1' }), T0), 'DUPLICATE_EVENT');
        const lease = await a.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: 0 });
        expect(await b.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: 0 })).toBeNull();
        expect(await b.currentLease('ops-1', 0)).toEqual(lease);
        expect((await b.append(input(2), T0, { fence: { deviceId: 'ops-1', epoch: 1 } })).index).toBe(1);
        expect(await b.releaseLease('ops-1', 'ver-a')).toBe(true);
        expect((await b.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: 0 }))?.epoch).toBe(2);
        await expectBridgeError(a.append(input(3), T0, { fence: { deviceId: 'ops-1', epoch: 1 } }), 'LEASE_LOST');
        expect((await a.verify()).ok).toBe(true);
      });

      it('adds what a database made by an older version lacks: the personal-data table and the by-type index', async () => {
        const schema = newSchema();
        const first = store({ connectionString: url, schema });
        await first.append(input(0), T0);
        await first.close();
        await adminQuery(`DROP TABLE "${schema}".personal_data`);
        await adminQuery(`DROP INDEX "${schema}".audit_entries_by_type`);
        const upgraded = store({ connectionString: url, schema });
        await upgraded.putPersonalData({ hash: `hmac-sha256:${'cd'.repeat(32)}`, kind: 'phone', value: '+447911123456', retainUntilMs: T0 });
        const indexes = await adminQuery<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [schema]);
        expect(indexes.map((i) => i.indexname)).toContain('audit_entries_by_type');
        expect((await upgraded.readEntries()).length).toBe(1);
      });

      it('adds the call rows, with their indexes, to a database made before them', async () => {
        const schema = newSchema();
        const first = store({ connectionString: url, schema, leaseClock: 'caller' });
        await first.append(input(0), T0);
        expect((await first.acquireLease({ deviceId: 'ops-1', holder: 'ver-old', ttlMs: 1_000, nowMs: T0 }))?.epoch).toBe(1);
        await first.close();
        await adminQuery(`DROP TABLE "${schema}".calls`);
        const upgraded = store({ connectionString: url, schema, leaseClock: 'caller' });
        const set = { reference: 'REF-1', referenceExpiresAtMs: T0 + 60_000, state: 'routed' as const, expiresAtMs: T0 + 60_000, owner: 'server-a', deviceId: 'ops-1' };
        const opened = await upgraded.append({ ...input(1), verificationId: 'ver-a' }, T0, { call: { expectedVersion: null, set } });
        expect(await upgraded.findCall({ reference: 'REF-1' })).toMatchObject({ verificationId: 'ver-a', version: opened.index });
        expect(await upgraded.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 1_000, nowMs: T0 + 5_000 })).toBeNull();
        const indexes = await adminQuery<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'calls' ORDER BY 1", [schema]);
        expect(indexes.map((i) => i.indexname)).toEqual(['calls_by_device_epoch', 'calls_by_provider_call', 'calls_by_reference', 'calls_live', 'calls_live_by_device', 'calls_pkey']);
        expect((await upgraded.verify()).ok).toBe(true);
      });

      it('creates its tables once when eight stores start on a new schema at the same moment', async () => {
        const schema = newSchema();
        const stores = Array.from({ length: 8 }, () => store({ connectionString: url, schema, maxConnections: 1 }));
        expect((await Promise.all(stores.map((s) => s.head()))).map((h) => h.size)).toEqual(Array(8).fill(0));
        const appended = await Promise.all(stores.map((s, i) => s.append(input(i), T0)));
        expect(appended.map((e) => e.index).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        const tables = await adminQuery<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema]);
        expect(tables.map((t) => t.table_name)).toEqual(['audit_entries', 'calls', 'device_leases', 'personal_data', 'tree_edge', 'tree_subtrees']);
      });
    });

    describe('behind a transaction pooler', () => {
      it('commits each append durably on a connection set to synchronous_commit=off, holds no lock after it, and leaves the setting as it found it', async () => {
        const schema = newSchema();
        // An app pool whose connections run with synchronous_commit=off, one connection so it is observable.
        const pool = appPool({ max: 1, options: '-c synchronous_commit=off' });
        const commitModes: string[] = [];
        pool.on('acquire', (client: pg.PoolClient & { spied?: boolean }) => {
          if (client.spied) return;
          client.spied = true;
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          // pg's pool calls query with a callback: the append statement's answer says what its commit waits for.
          (client as { query: unknown }).query = (...args: unknown[]) => {
            const [config] = args as [{ text?: unknown }];
            const callback = args.findIndex((arg) => typeof arg === 'function');
            if (typeof config?.text !== 'string' || !config.text.includes('.audit_entries (idx') || callback < 0) return query(...args);
            const done = args[callback] as (error: unknown, result?: pg.QueryResult) => void;
            args[callback] = (error: unknown, result?: pg.QueryResult) => {
              if (result) commitModes.push(result.rows[0].commit_mode as string);
              done(error, result);
            };
            return query(...args);
          };
        });
        const s = store({ pool, schema });
        await s.append(input(0), T0);
        await s.append(input(1), T0);
        expect(commitModes).toEqual(['on', 'on']);
        expect((await pool.query<{ s: string }>("SELECT current_setting('synchronous_commit') AS s")).rows[0]!.s).toBe('off');
        // A transaction left open would still hold its locks on the tables it wrote.
        const locks = await adminQuery(
          'SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1',
          [schema],
        );
        expect(locks).toEqual([]);
        expect((await s.verify()).ok).toBe(true);
      });

      it('uses an app’s pool as given and leaves it open on close', async () => {
        const pool = appPool();
        const s = store({ pool, schema: newSchema() });
        expect(s.kind).toBe('postgres');
        await s.append(input(0), T0);
        await s.close();
        await expectBridgeError(s.head(), 'STORE_FAILED');
        expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      });
    });

    describe('configuration and failures', () => {
      it.each([
        ['no connection at all', {}],
        ['both a pool and a connection string', { pool: {} as pg.Pool, connectionString: 'postgres://x@localhost/db' }],
        ['a schema with upper case', { connectionString: 'postgres://x@localhost/db', schema: 'Evidence' }],
        ['a schema that is not an identifier', { connectionString: 'postgres://x@localhost/db', schema: 'a"; DROP TABLE x; --' }],
        ['maxConnections 0', { connectionString: 'postgres://x@localhost/db', maxConnections: 0 }],
        ['an unknown leaseClock', { connectionString: 'postgres://x@localhost/db', leaseClock: 'wall' }],
      ])('refuses %s with INVALID_CONFIG when created', (_label, options) => {
        vi.stubEnv('DATABASE_URL', '');
        expect(() => postgresStore(options as PostgresStoreOptions)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
      });


      it('reads DATABASE_URL when no connection string is given', async () => {
        vi.stubEnv('DATABASE_URL', url);
        const s = store({ schema: newSchema() });
        expect((await s.append(input(0), T0)).index).toBe(0);
      });

      it('reports an unreachable server as STORE_FAILED with the cause, and never the password', async () => {
        const s = store({ connectionString: 'postgres://vcb:s3cret-pa55@127.0.0.1:1/evidence', schema: newSchema() });
        const error = await expectBridgeError(s.append(input(0), T0), 'STORE_FAILED');
        expect(error.cause).toMatchObject({ code: 'ECONNREFUSED' });
        const unparsable = store({ connectionString: 'postgres://vcb:s3cret-pa55@[::1/evidence', schema: newSchema() });
        const parseError = await expectBridgeError(unparsable.head(), 'STORE_FAILED');
        for (const e of [error, parseError]) {
          const text = [e.message, JSON.stringify(e.toSummary()), String(e.cause), (e.cause as Error).message, (e.cause as Error).stack].join('\n');
          expect(text).not.toContain('s3cret');
        }
      });

      it('tries again at the next call when the database was down at first use', async () => {
        const pool = appPool();
        const down = vi.spyOn(pool, 'query').mockRejectedValueOnce(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
        const s = store({ pool, schema: newSchema() });
        await expectBridgeError(s.head(), 'STORE_FAILED');
        expect((await s.head()).size).toBe(0);
        expect(down).toHaveBeenCalledTimes(3);
      });
    });

    describe('least privilege', () => {
      const role = `vcb_test_role_${Math.random().toString(16).slice(2, 10)}`;
      afterEach(async () => {
        await adminQuery(`DROP ROLE IF EXISTS ${role}`);
      });

      it('runs as a role that may read and write the tables but not create anything', async () => {
        const schema = newSchema();
        await store({ connectionString: url, schema }).head();
        await adminQuery(`CREATE ROLE ${role} LOGIN`);
        await adminQuery(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
        await adminQuery(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);
        const asRole = new URL(url);
        asRole.username = role;
        asRole.password = '';
        const s = store({ connectionString: asRole.href, schema });
        try {
          expect((await s.append(input(0), T0)).index).toBe(0);
          expect((await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: 0 }))?.epoch).toBe(1);
          expect((await s.verify()).ok).toBe(true);
          await expectBridgeError(store({ connectionString: asRole.href, schema: newSchema() }).head(), 'STORE_FAILED');
        } finally {
          await s.close();
          await adminQuery(`REVOKE ALL ON ALL TABLES IN SCHEMA "${schema}" FROM ${role}`);
          await adminQuery(`REVOKE ALL ON SCHEMA "${schema}" FROM ${role}`);
        }
      });
    });

    describe('tamper evidence in the database', () => {
      async function tamperedStore(sql: string): Promise<BridgeStore> {
        const schema = newSchema();
        const s = store({ connectionString: url, schema });
        for (let i = 0; i < 6; i += 1) await s.append(input(i, { verificationId: `ver-${i % 2}` }), T0 + i);
        expect((await s.verify()).ok).toBe(true);
        await adminQuery(sql.replaceAll('$entries', `"${schema}".audit_entries`));
        return store({ connectionString: url, schema });
      }

      it('names an edited row as altered', async () => {
        const s = await tamperedStore(`UPDATE $entries SET data = '{"n":99,"nested":{"list":[2,{"n":2}]}}' WHERE idx = 2`);
        expect(await s.verify()).toMatchObject({ ok: false, firstBadIndex: 2, reason: 'altered' });
      });

      it('names a deleted row as removed', async () => {
        const s = await tamperedStore('DELETE FROM $entries WHERE idx = 3');
        expect(await s.verify()).toMatchObject({ ok: false, firstBadIndex: 3, reason: 'removed', entries: 5 });
      });

      it('refuses to read a row that no longer decodes, as AUDIT_TAMPERED', async () => {
        const s = await tamperedStore(`UPDATE $entries SET data = '{"n":' WHERE idx = 4`);
        await expectBridgeError(s.readEntries({ verificationId: 'ver-0' }), 'AUDIT_TAMPERED');
        expect((await s.readEntries({ limit: 4 })).map((e) => e.index)).toEqual([0, 1, 2, 3]);
        expect(await s.verify()).toMatchObject({ ok: false, firstBadIndex: 4, reason: 'altered' });
      });

      describe('the tree edge kept with the log', () => {
        async function logOf(size: number): Promise<string> {
          const schema = newSchema();
          const s = store({ connectionString: url, schema });
          for (let i = 0; i < size; i += 1) await s.append(input(i), T0);
          return schema;
        }

        it('lets a new process append without reading the leaf hashes', async () => {
          const schema = await logOf(13);
          // Spoil every stored leaf hash but the last: a store that replayed them would build on a wrong tree.
          await adminQuery(`UPDATE "${schema}".audit_entries SET leaf_hash = decode(repeat('00', 32), 'hex') WHERE idx < 12`);
          const s = store({ connectionString: url, schema });
          const entry = await s.append(input(13), T0);
          const [row] = await adminQuery<{ tree_root: Buffer }>(`SELECT tree_root FROM "${schema}".audit_entries WHERE idx = 13`);
          expect(toHex(row!.tree_root)).toBe(expectedRootHex([...(await s.readEntries({ limit: 13 })), entry]));
        });

        it('replays the leaves when the edge is missing (a log from before it was kept) or does not match the log', async () => {
          for (const sql of ['DELETE FROM $edge', `UPDATE $edge SET hashes = decode(repeat('00', length(hashes)), 'hex')`, 'UPDATE $edge SET size = 12']) {
            const schema = await logOf(13);
            await adminQuery(sql.replace('$edge', `"${schema}".tree_edge`));
            const s = store({ connectionString: url, schema });
            await s.append(input(13), T0);
            expect(await s.verify(), sql).toMatchObject({ ok: true, entries: 14 });
          }
        });
      });

      describe('in a log longer than one page of verify', () => {
        const SIZE = 2_345;
        // Written straight into the table with the core's own hashing, so the test need not make 2,345 commits.
        async function longLog(): Promise<{ schema: string; s: BridgeStore }> {
          const schema = newSchema();
          await store({ connectionString: url, schema }).head();
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            await client.query('BEGIN');
            let tail: Parameters<typeof prepareAppend>[2] = { frontier: new MerkleFrontier() };
            for (let i = 0; i < SIZE; i += 1) {
              const { entry, leafHash, rootAfter, frontier } = prepareAppend(input(i), T0 + i, tail);
              const c = entryColumns(entry);
              await client.query(
                `INSERT INTO "${schema}".audit_entries (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
                [c.idx, c.verification_id, c.type, c.at, c.provider_at, c.source, c.provider, c.actor, c.provider_event_id, c.data, Buffer.from(leafHash), Buffer.from(rootAfter)],
              );
              tail = { frontier, lastAt: entry.at };
            }
            await client.query('COMMIT');
          } finally {
            await client.end();
          }
          return { schema, s: store({ connectionString: url, schema }) };
        }

        it('verifies it whole, page after page', async () => {
          const { s } = await longLog();
          const result = await s.verify();
          expect(result).toMatchObject({ ok: true, entries: SIZE });
          expect(result.ok && result.root).toBe(toHex((await s.head()).root));
        });

        it('finds an edit past the first pages, and a row inserted with a negative index', async () => {
          const { schema, s } = await longLog();
          await adminQuery(`UPDATE "${schema}".audit_entries SET data = '{"n":-1}' WHERE idx = 2100`);
          expect(await s.verify()).toMatchObject({ ok: false, firstBadIndex: 2100, reason: 'altered', entries: SIZE });
          // An attacker with the owner's rights can drop the check that keeps indexes at 0 or above.
          await adminQuery(`ALTER TABLE "${schema}".audit_entries DROP CONSTRAINT audit_entries_idx_check`);
          await adminQuery(`INSERT INTO "${schema}".audit_entries SELECT -7, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root FROM "${schema}".audit_entries WHERE idx = 0`);
          expect(await s.verify()).toMatchObject({ ok: false, firstBadIndex: 0, reason: 'inserted', entries: SIZE + 1 });
        });
      });
    });
  });
});
