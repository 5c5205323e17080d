// Durable appends three ways, for the append and group lines: the raw rows with no evidence work,
// the store one caller at a time, and the store with many callers at once.
import Database from 'better-sqlite3';
import sqliteStore from '../dist/stores/sqlite.js';
import { benchEntry } from './fill-log.mjs';
import { time, timeAsync } from './timing.mjs';

/** Baseline: the same rows inserted one per durable transaction, with no hashing or canonical JSON. */
export function rawAppends(path, count) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (idx INTEGER PRIMARY KEY, verification_id TEXT, type TEXT, at TEXT, source TEXT, provider TEXT, provider_event_id TEXT, data TEXT, leaf_hash BLOB, tree_root BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const blob = Buffer.alloc(32);
  const one = db.transaction((i) => {
    const e = benchEntry(i);
    insert.run(i, e.verificationId, e.type, new Date().toISOString(), e.source, e.provider, e.providerEventId, JSON.stringify(e.data), blob, blob);
  });
  const ms = time(() => {
    for (let i = 0; i < count; i += 1) one.immediate(i);
  });
  db.close();
  return ms;
}

/** The store's appends, one caller waiting for each before the next. */
export async function storeAppends(path, count) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    for (let i = 0; i < count; i += 1) await store.append(benchEntry(i), Date.now());
  });
  await store.close();
  return ms;
}

/** `writers` callers appending at once, each waiting for its own append before the next. */
export async function concurrentAppends(path, count, writers) {
  const store = sqliteStore({ filename: path });
  const each = count / writers;
  const ms = await timeAsync(() =>
    Promise.all(Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; i < each; i += 1) await store.append(benchEntry(writer * each + i), Date.now());
    })),
  );
  await store.close();
  return ms;
}
