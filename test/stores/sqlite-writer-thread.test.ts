import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuditEntryInput, BridgeStore } from '../../src/index.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { openDatabase } from '../../src/stores/sqlite/connection.js';
import { createWriter } from '../../src/stores/sqlite/writer.js';
import type { WriterReply } from '../../src/stores/sqlite/writer-protocol.js';
import { WriterQueue } from '../../src/stores/sqlite/writer-queue.js';
import { expectBridgeError, T0 } from './store-suite.js';

// The SQLite store writes on a thread of its own so that a commit's fsync never stalls the event loop.
// These tests hold it to that, and to failing cleanly (never hanging) when that thread goes away.

const builtThread = new URL('../../dist/stores/sqlite/writer-thread.js', import.meta.url).href;
const builtStore = new URL('../../dist/stores/sqlite.js', import.meta.url).href;
const HASH = `hmac-sha256:${'ab'.repeat(32)}`;
const dirs: string[] = [];
const open: BridgeStore[] = [];

function filename(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcb-writer-'));
  dirs.push(dir);
  return path.join(dir, 'bridge.db');
}

function store(file: string, busyTimeoutMs?: number): BridgeStore {
  const created = sqliteStore({ filename: file, ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }) });
  open.push(created);
  return created;
}

function input(n: number): AuditEntryInput {
  return { type: 'test.event', source: 'sdk', data: { n } };
}

/** The writer thread of the next store opened, caught as it is handed its first request. */
function catchWriterThread(): Promise<Worker> {
  return new Promise((resolve) => {
    const post = vi.spyOn(Worker.prototype, 'postMessage');
    post.mockImplementation(function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
      post.mockRestore();
      resolve(this);
      return this.postMessage(...args);
    });
  });
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of open.splice(0)) await s.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('sqlite writer thread', () => {
  it('opens its own connection in WAL mode with synchronous=FULL, and writes through it', async () => {
    const file = filename();
    await store(file).close();
    // The built thread entry, run with its pragmas recorded: the connection it writes with is checked too.
    const recorder = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const Database = require('better-sqlite3');
       const pragma = Database.prototype.pragma;
       const seen = { set: [], connections: new Set() };
       Database.prototype.pragma = function (source, options) { seen.set.push(source); seen.connections.add(this); return pragma.call(this, source, options); };
       import(${JSON.stringify(builtThread)}).then(() => {
         const [connection] = seen.connections;
         parentPort.postMessage({ set: seen.set, connections: seen.connections.size, journalMode: pragma.call(connection, 'journal_mode', { simple: true }), synchronous: pragma.call(connection, 'synchronous', { simple: true }) });
       });`,
      { eval: true, workerData: { filename: file, busyTimeoutMs: 5000 } },
    );
    try {
      const report = await new Promise<Record<string, unknown>>((resolve) => recorder.once('message', resolve));
      expect(report).toMatchObject({ connections: 1, journalMode: 'wal', synchronous: 2 });
      expect(report.set).toEqual(expect.arrayContaining(['journal_mode = WAL', 'synchronous = FULL']));
      recorder.postMessage({ id: 1, op: 'appendBatch', args: [[{ input: input(0), atMs: T0, options: {} }]] });
      const reply = await new Promise<{ id: number; ok: boolean; value: { ok: boolean }[] }>((resolve) => recorder.once('message', resolve));
      expect(reply).toMatchObject({ id: 1, ok: true, value: [{ ok: true, value: { index: 0 } }] });
    } finally {
      await recorder.terminate();
    }
    const other = new Database(file, { readonly: true });
    expect(other.prepare('SELECT count(*) AS n FROM audit_entries').get()).toEqual({ n: 1 });
    other.close();
  });

  it('refuses to open a file where SQLite will not keep synchronous=FULL or WAL', () => {
    for (const [setting, reported] of [['synchronous', 1], ['journal_mode = WAL', 'delete']] as const) {
      const pragma = Database.prototype.pragma;
      const spy = vi.spyOn(Database.prototype, 'pragma').mockImplementation(function (this: Database.Database, source, options) {
        return source === setting ? reported : pragma.call(this, source, options);
      });
      expect(() => sqliteStore({ filename: filename() }), setting).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
      spy.mockRestore();
    }
  });

  it('runs no write on the calling thread: appends, leases and personal data all go to the writer', async () => {
    const prepare = vi.spyOn(Database.prototype, 'prepare');
    const run = vi.spyOn(Database.prototype, 'transaction');
    const s = store(filename());
    await s.append(input(0), T0);
    await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: T0 });
    await s.releaseLease('ops-1', 'ver-a');
    await s.putPersonalData({ hash: HASH, kind: 'phone', value: '+441234', retainUntilMs: T0 });
    expect(await s.erasePersonalData(T0)).toEqual([{ hash: HASH, kind: 'phone' }]);
    expect(await s.readEntries()).toHaveLength(1);
    const sql = prepare.mock.calls.map(([text]) => String(text).trimStart());
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.filter((text) => /^(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text))).toEqual([]);
    expect(run).not.toHaveBeenCalled();
  });

  it('fails the appends a dying thread held with STORE_FAILED, never hangs, and writes on with a new thread', async () => {
    const file = filename();
    const s = store(file);
    await s.append(input(0), T0);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE'); // the thread waits for this lock, so it dies mid-append
    const thread = catchWriterThread();
    const held = Promise.allSettled([s.append(input(1), T0), s.append(input(2), T0)]);
    const ended = (await thread).terminate();
    // Let the thread's wait end in success: better-sqlite3 aborts the process if it must build an error while its thread is ending.
    await new Promise((resolve) => setTimeout(resolve, 50));
    holder.exec('ROLLBACK');
    holder.close();
    await ended;
    const results = await held;
    expect(results.map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code)).toEqual(['STORE_FAILED', 'STORE_FAILED']);
    expect((await s.append(input(3), T0)).index).toBe(1);
    expect(await s.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: T0 })).toMatchObject({ epoch: 1 });
    expect((await s.readEntries()).map((e) => e.data.n)).toEqual([0, 3]);
    expect(await s.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('writes every append made before close, then ends its thread; later calls fail with STORE_FAILED', async () => {
    const file = filename();
    const s = sqliteStore({ filename: file });
    const thread = catchWriterThread();
    const made = Array.from({ length: 50 }, (_, n) => s.append(input(n), T0));
    let exited = false;
    void thread.then((worker) => worker.once('exit', () => (exited = true)));
    await s.close();
    expect(exited).toBe(true);
    expect((await Promise.all(made)).map((e) => e.index)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    await expectBridgeError(s.append(input(50), T0), 'STORE_FAILED');
    await expectBridgeError(s.putPersonalData({ hash: HASH, kind: 'phone', value: '+441234', retainUntilMs: T0 }), 'STORE_FAILED');
    const reopened = store(file);
    expect(await reopened.verify()).toMatchObject({ ok: true, entries: 50 });
  });

  it('keeps the process alive while a request or close is unanswered, and not once the store is idle and unclosed', async () => {
    const file = filename();
    // Top-level awaits: Node ends a module with exit code 13 if nothing keeps the loop alive meanwhile.
    const script = `const { default: sqliteStore } = await import(${JSON.stringify(builtStore)});
      const unclosed = sqliteStore({ filename: ${JSON.stringify(file)} });
      console.log('appended', (await unclosed.append({ type: 'test.event', source: 'sdk', data: { n: 0 } }, Date.now())).index);
      const closed = sqliteStore({ filename: ${JSON.stringify(file)} });
      await closed.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60000, nowMs: Date.now() });
      await closed.close();
      console.log('closed');`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 }, (error, out) => (error ? reject(error) : resolve(out)));
    });
    expect(stdout.trim().split('\n')).toEqual(['appended 0', 'closed']);
  });

  it('writes the append batches that waited together as one transaction, answering each in order, a lease in its place', async () => {
    const writer = createWriter(openDatabase(':memory:', 5000));
    const transactions = vi.spyOn(writer, 'appendBatch');
    const replies: WriterReply[] = [];
    const queue = new WriterQueue(writer, (reply) => replies.push(reply));
    const batch = (id: number, ...ns: number[]) => ({ id, op: 'appendBatch' as const, args: [ns.map((n) => ({ input: input(n), atMs: T0, options: {} }))] });
    const repeated = { input: { ...input(9), provider: 'daily', providerEventId: 'evt-1' }, atMs: T0, options: {} };
    queue.receive(batch(1, 0, 1));
    queue.receive({ id: 2, op: 'appendBatch', args: [[repeated, repeated]] });
    queue.receive({ id: 3, op: 'acquireLease', args: [{ deviceId: 'ops-1', holder: 'ver-a', ttlMs: 60_000, nowMs: T0 }] });
    queue.receive(batch(4, 3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(transactions.mock.calls.map(([requests]) => requests.length)).toEqual([4, 1]);
    expect(replies.map((reply) => reply.id)).toEqual([1, 2, 3, 4]);
    const outcomes = replies.map((reply) => (reply.ok && Array.isArray(reply.value) ? reply.value.map((o: { ok: boolean; value?: { index: number }; error?: { code: string } }) => o.value?.index ?? o.error?.code) : reply.ok));
    // The refused repeat leaves no gap: the batch after the lease goes on at index 3.
    expect(outcomes).toEqual([[0, 1], [2, 'DUPLICATE_EVENT'], true, [3]]);
    writer.close();
  });

  it('fails every batch of a joined transaction that could not commit, each under its own id', async () => {
    const file = filename();
    await store(file).close();
    const writer = createWriter(openDatabase(file, 20));
    const replies: WriterReply[] = [];
    const queue = new WriterQueue(writer, (reply) => replies.push(reply));
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    queue.receive({ id: 1, op: 'appendBatch', args: [[{ input: input(0), atMs: T0, options: {} }]] });
    queue.receive({ id: 2, op: 'appendBatch', args: [[{ input: input(1), atMs: T0, options: {} }]] });
    await new Promise((resolve) => setImmediate(resolve));
    holder.exec('ROLLBACK');
    holder.close();
    expect(replies).toMatchObject([{ id: 1, ok: false, error: { code: 'STORE_FAILED' } }, { id: 2, ok: false, error: { code: 'STORE_FAILED' } }]);
    writer.close();
  });
});
