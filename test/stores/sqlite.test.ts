import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toHex, type AppendOptions, type AuditEntry, type AuditEntryInput, type BridgeStore, type CallFields } from '../../src/index.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { GroupCommit } from '../../src/stores/sqlite/group-commit.js';
import { expectBridgeError, expectedRootHex, T0, testStore } from './store-suite.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vcb-'));
}

testStore('sqlite (temp file)', () => {
  const dir = tempDir();
  return {
    store: sqliteStore({ filename: path.join(dir, 'bridge.db') }),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

testStore('sqlite (:memory:)', () => ({ store: sqliteStore({ filename: ':memory:' }) }));

function input(n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { type: 'test.event', source: 'sdk', data: { n, nested: { list: [n, { n }] } }, ...extra };
}

describe('sqlite store on a file', () => {
  const dirs: string[] = [];
  const open: BridgeStore[] = [];
  const filename = () => {
    const dir = tempDir();
    dirs.push(dir);
    return path.join(dir, 'bridge.db');
  };
  const store = (file: string) => {
    const created = sqliteStore({ filename: file });
    open.push(created);
    return created;
  };

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const s of open.splice(0)) await s.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode with synchronous=FULL (2) on its own connection', async () => {
    const file = filename();
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    const s = store(file);
    const connections = [...new Set(pragma.mock.contexts)] as Database.Database[];
    expect(connections).toHaveLength(1);
    const connection = connections[0]!;
    expect(connection.name).toBe(file);
    expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(connection.pragma('synchronous', { simple: true })).toBe(2);
    pragma.mockRestore();

    await s.append(input(0), T0);
    // WAL is a property of the file: a separate connection sees it too.
    const other = new Database(file, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(other.prepare('SELECT count(*) AS n FROM audit_entries').get()).toEqual({ n: 1 });
    } finally {
      other.close();
    }
  });

  it('keeps the log across close and reopen', async () => {
    const file = filename();
    const first = store(file);
    const entries: AuditEntry[] = [];
    for (let i = 0; i < 5; i += 1) {
      entries.push(await first.append(input(i, i % 2 === 0 ? { verificationId: 'ver-1', providerAt: '2026-01-01T09:59:00.000Z' } : {}), T0 + i * 1_000));
    }
    await first.close();

    const second = store(file);
    expect(await second.readEntries()).toStrictEqual(entries);
    // at must not run backwards across a reopen either.
    const sixth = await second.append(input(5), T0);
    expect(sixth.index).toBe(5);
    expect(sixth.at).toBe(entries[4]?.at);
    entries.push(sixth);
    const head = await second.head();
    expect(head.size).toBe(6);
    expect(toHex(head.root)).toBe(expectedRootHex(entries));
    expect(await second.verify()).toEqual({ ok: true, entries: 6, root: expectedRootHex(entries) });
  });

  it('keeps one consistent log when two store objects on one file append alternately', async () => {
    const file = filename();
    const a = store(file);
    const b = store(file);
    const returned: AuditEntry[] = [];
    for (let i = 0; i < 12; i += 1) {
      const writer = i % 2 === 0 ? a : b;
      // b's clock runs 10 s behind a's; at still never goes backwards.
      const atMs = i % 2 === 0 ? T0 + i * 1_000 : T0 + i * 1_000 - 10_000;
      returned.push(await writer.append(input(i, { actor: i % 2 === 0 ? 'a' : 'b' }), atMs));
    }
    expect(returned.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const ats = returned.map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
    const fromA = await a.readEntries();
    const fromB = await b.readEntries();
    expect(fromA).toStrictEqual(returned);
    expect(fromB).toStrictEqual(returned);
    const root = expectedRootHex(returned);
    expect(toHex((await a.head()).root)).toBe(root);
    expect(toHex((await b.head()).root)).toBe(root);
    expect(await a.verify()).toEqual({ ok: true, entries: 12, root });
    expect(await b.verify()).toEqual({ ok: true, entries: 12, root });
  });

  it('shares duplicate detection and leases between two store objects on one file', async () => {
    const file = filename();
    const a = store(file);
    const b = store(file);
    await a.append(input(0, { provider: 'daily', providerEventId: 'evt-1' }), T0);
    await expectBridgeError(b.append(input(1, { provider: 'daily', providerEventId: 'evt-1' }), T0), 'DUPLICATE_EVENT');
    expect((await b.append(input(2), T0)).index).toBe(1);
    expect((await a.append(input(3), T0)).index).toBe(2);

    const lease = await a.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: T0 });
    expect(lease?.epoch).toBe(1);
    expect(await b.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: T0 })).toBeNull();
    expect(await b.currentLease('ops-1', T0)).toEqual(lease);
    expect(await b.releaseLease('ops-1', 'ver-a')).toBe(true);
    expect(await a.currentLease('ops-1', T0)).toBeNull();
    expect((await a.verify()).ok).toBe(true);
  });

  const opening = (reference: string, extra: Partial<CallFields> = {}): AppendOptions => ({
    call: { expectedVersion: null, set: { reference, referenceExpiresAtMs: T0 + 60_000, state: 'requested', expiresAtMs: T0 + 60_000, owner: 'server-a', ...extra } },
  });

  it('shares call rows, their checks and the device guard between two store objects on one file', async () => {
    const file = filename();
    const a = store(file);
    const b = store(file);
    const opened = await a.append(input(0, { verificationId: 'ver-a' }), T0, opening('REF-1', { deviceId: 'ops-1' }));
    expect(await b.findCall({ reference: 'REF-1' })).toMatchObject({ verificationId: 'ver-a', version: opened.index });
    await expectBridgeError(b.append(input(1, { verificationId: 'ver-b' }), T0, opening('REF-1')), 'REFERENCE_TAKEN');
    const changed = await b.append(input(2, { verificationId: 'ver-a' }), T0, { call: { expectedVersion: opened.index, set: { owner: 'server-b' } } });
    await expectBridgeError(a.append(input(3, { verificationId: 'ver-a' }), T0, { call: { expectedVersion: opened.index, set: { owner: 'server-a' } } }), 'CALL_CHANGED');
    expect(await a.findCall({ verificationId: 'ver-a' })).toMatchObject({ owner: 'server-b', version: changed.index });
    expect(await b.acquireLease({ deviceId: 'ops-1', holder: 'ver-b', ttlMs: 60_000, nowMs: T0 })).toBeNull();
    expect((await a.head()).size).toBe(2);
  });

  it('adds the call rows to a file made before them', async () => {
    const file = filename();
    await store(file).append(input(0), T0);
    const old = new Database(file);
    old.exec('DROP TABLE calls');
    old.close();
    const upgraded = store(file);
    const opened = await upgraded.append(input(1, { verificationId: 'ver-a' }), T0, opening('REF-1'));
    expect(await upgraded.findCall({ verificationId: 'ver-a' })).toMatchObject({ reference: 'REF-1', version: opened.index });
    expect((await upgraded.verify()).ok).toBe(true);
  });

  it('reads and writes call rows through their indexes, never by scanning the table', async () => {
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    // In memory the writer runs on this thread, so its statements are seen here beside the readers'.
    const s = store(':memory:');
    const connection = prepare.mock.contexts[0] as Database.Database;
    const callSql = [...new Set(prepare.mock.calls.map(([sql]) => String(sql)))].filter((sql) => /\bcalls\b/.test(sql) && !sql.trimStart().startsWith('INSERT'));
    prepare.mockRestore();
    // A row by verification id, by provider call id, the newest by reference (findCall and the reference
    // check), the live list, the device guard, the device's highest epoch and the update.
    expect(callSql).toHaveLength(7);
    for (const sql of callSql) {
      const plan = connection.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql.replace(/@\w+|\?/g, "'x'")}`).all();
      const onCalls = plan.map((step) => step.detail).filter((detail) => /\bcalls\b/.test(detail));
      expect(onCalls.length, sql).toBeGreaterThan(0);
      for (const detail of onCalls) expect(detail, sql).toMatch(/USING (COVERING )?INDEX calls_|USING INDEX sqlite_autoindex_calls_1/);
    }
    await s.close();
  });


  it('reads entries by verification or by type through their indexes, never by scanning the log', async () => {
    const s = store(filename());
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    await s.readEntries({ verificationId: 'ver-1' });
    await s.readEntries({ type: 'checkpoint.signed', fromIndex: 5 });
    await s.readEntries({ verificationId: 'ver-1', type: 'call.ended', limit: 1 });
    await s.readEntries({ type: 'checkpoint.signed', newestFirst: true, limit: 1 });
    const connection = prepare.mock.contexts[0] as Database.Database;
    const entrySql = prepare.mock.calls.map(([sql]) => String(sql));
    prepare.mockRestore();
    expect(entrySql).toHaveLength(4);
    for (const sql of entrySql) {
      const plan = connection.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql.replace(/@\w+/g, "'x'")}`).all();
      expect(plan.map((step) => step.detail).join('; '), sql).toMatch(/audit_entries USING INDEX audit_entries_by_(verification|type)/);
    }
    await s.close();
  });

  describe('the tree edge kept with the log', () => {
    async function logOf(size: number): Promise<string> {
      const file = filename();
      const s = sqliteStore({ filename: file });
      for (let i = 0; i < size; i += 1) await s.append(input(i), T0);
      await s.close();
      return file;
    }
    const edit = (file: string, sql: string) => {
      const db = new Database(file);
      db.exec(sql);
      db.close();
    };

    it('lets a new process append without reading the leaf hashes', async () => {
      const file = await logOf(13);
      // Spoil every stored leaf hash but the last: a store that replayed them would build on a wrong tree.
      edit(file, `UPDATE audit_entries SET leaf_hash = zeroblob(32) WHERE idx < 12`);
      const s = store(file);
      await s.append(input(13), T0);
      const [entry] = await s.readEntries({ fromIndex: 13 });
      const recorded = new Database(file, { readonly: true });
      const root = (recorded.prepare('SELECT tree_root FROM audit_entries WHERE idx = 13').get() as { tree_root: Buffer }).tree_root;
      recorded.close();
      expect(toHex(root)).toBe(expectedRootHex([...(await s.readEntries({ limit: 13 })), entry!]));
    });

    it('replays the leaves when the edge is missing (a log from before it was kept) or does not match the log', async () => {
      for (const sql of ['DELETE FROM tree_edge', 'UPDATE tree_edge SET hashes = zeroblob(length(hashes))', 'UPDATE tree_edge SET size = 12']) {
        const file = await logOf(13);
        edit(file, sql);
        const s = store(file);
        await s.append(input(13), T0);
        expect(await s.verify(), sql).toMatchObject({ ok: true, entries: 14 });
      }
    });
  });

  describe('group commit', () => {
    it('writes appends made together in one transaction, in the order they were made, each acknowledged once committed', async () => {
      const file = filename();
      const s = store(file);
      const transactions = vi.spyOn(GroupCommit.prototype as unknown as { flush(): void }, 'flush');
      const entries = await Promise.all(Array.from({ length: 64 }, (_, i) => s.append(input(i), T0)));
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(entries.map((e) => [e.index, e.data.n])).toEqual(Array.from({ length: 64 }, (_, i) => [i, i]));
      // What was acknowledged is on disk, as a second connection sees it.
      const other = new Database(file, { readonly: true });
      expect(other.prepare('SELECT count(*) AS n FROM audit_entries').get()).toEqual({ n: 64 });
      other.close();
      expect(await s.verify()).toMatchObject({ ok: true, entries: 64 });
    });

    it('fails a refused append alone: the others of its group are logged, with no gap', async () => {
      const s = store(filename());
      const event = (n: number, id: string) => input(n, { source: 'provider', provider: 'daily', providerEventId: id });
      await s.append(event(0, 'evt-0'), T0);
      const results = await Promise.allSettled([s.append(input(1), T0), s.append(event(2, 'evt-0'), T0), s.append(input(3), T0)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'DUPLICATE_EVENT' });
      expect((await s.readEntries()).map((e) => [e.index, e.data.n])).toEqual([[0, 0], [1, 1], [2, 3]]);
      expect((await s.verify()).ok).toBe(true);
    });

    it('fails every append of a group that cannot commit, and the next group builds on the tree as it was', async () => {
      const file = filename();
      const s = sqliteStore({ filename: file, busyTimeoutMs: 20 });
      open.push(s);
      await s.append(input(0), T0);
      const holder = new Database(file);
      holder.exec('BEGIN IMMEDIATE'); // another process holds the write lock past the busy timeout
      const failed = await Promise.allSettled([s.append(input(1), T0), s.append(input(2), T0)]);
      holder.exec('ROLLBACK');
      holder.close();
      expect(failed.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['STORE_FAILED', 'STORE_FAILED']);
      // Another server then appends as many entries as the failed group held: the tree must be theirs, not the rolled-back one.
      const otherServer = store(file);
      await otherServer.append(input(10), T0);
      await otherServer.append(input(11), T0);
      expect((await s.append(input(3), T0)).index).toBe(3);
      expect(await s.verify()).toMatchObject({ ok: true, entries: 4 });
      expect(toHex((await s.head()).root)).toBe(expectedRootHex(await s.readEntries()));
    });

    it('fails the whole group when SQLite rolls its transaction back (a full disk), committing none of it one by one', async () => {
      const pragma = vi.spyOn(Database.prototype, 'pragma');
      // In memory the writer runs on this thread: its connection can be made to fill up.
      const s = store(':memory:');
      const connection = pragma.mock.contexts[0] as Database.Database;
      pragma.mockRestore();
      await s.append(input(0), T0);
      connection.pragma(`max_page_count = ${Number(connection.pragma('page_count', { simple: true })) + 3}`);
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => s.append(input(i + 1, { data: { n: i + 1, pad: 'x'.repeat(3_000) } }), T0)));
      connection.pragma('max_page_count = 1000000');
      const logged = (await s.readEntries()).map((e) => e.data.n);
      results.forEach((result, i) => expect(logged.includes(i + 1), `append ${i + 1} ${result.status}`).toBe(result.status === 'fulfilled'));
      expect(await s.verify()).toMatchObject({ ok: true, entries: logged.length });
      expect((await s.append(input(99), T0)).index).toBe(logged.length);
      expect((await s.verify()).ok).toBe(true);
    });
  });

  it('fails with STORE_FAILED when the file cannot be opened', () => {
    const dir = tempDir();
    dirs.push(dir);
    let error: unknown;
    try {
      sqliteStore({ filename: path.join(dir, 'missing-folder', 'bridge.db') });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ name: 'BridgeError', code: 'STORE_FAILED' });
  });
});
