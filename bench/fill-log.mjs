// Builds valid SQLite logs quickly for the benches: the store's schema, the core's hashing, one
// transaction, so a log of a million entries does not take a million durable commits.
import Database from 'better-sqlite3';
import { MerkleFrontier, prepareAppend } from '../dist/index.js';
import sqliteStore from '../dist/stores/sqlite.js';

/** The entry the benches append as entry `i`: fifty verifications take turns, as calls interleave. */
export function benchEntry(i) {
  return {
    verificationId: `vrf_${i % 50}`,
    type: 'participant.joined',
    source: 'provider',
    provider: 'daily',
    providerEventId: `evt-${i}`,
    data: { providerType: 'participant.joined', participant: { role: i % 2 ? 'ops-device' : 'other-side' }, seq: i },
  };
}

/** Writes a valid log of `count` entries, each `entryFor(i)`, into a new store file at `path`. */
export async function fillLog(path, count, entryFor = benchEntry) {
  await sqliteStore({ filename: path }).close();
  const db = new Database(path);
  const insert = db.prepare(
    'INSERT INTO audit_entries (idx, verification_id, type, at, source, provider, provider_event_id, data, leaf_hash, tree_root) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertSubtree = db.prepare('INSERT INTO tree_subtrees (level, idx, hash) VALUES (?, ?, ?)');
  db.transaction(() => {
    let tail = { frontier: new MerkleFrontier() };
    for (let i = 0; i < count; i += 1) {
      const { entry, leafHash, rootAfter, frontier, subtrees } = prepareAppend(entryFor(i), Date.now(), tail);
      insert.run(i, entry.verificationId, entry.type, entry.at, entry.source, entry.provider, entry.providerEventId ?? null, JSON.stringify(entry.data), leafHash, rootAfter);
      for (const { level, index, hash } of subtrees) insertSubtree.run(level, index, hash);
      tail = { frontier, lastAt: entry.at };
    }
    // The tree's edge and large subtrees, as the store keeps them with each append, so proofs and the first
    // write of a process cost what they cost in use.
    db.prepare('INSERT INTO tree_edge (id, size, hashes) VALUES (1, ?, ?)').run(count, Buffer.from(tail.frontier.edgeBytes()));
  })();
  db.close();
}
