import Database from 'better-sqlite3';
import { leafBytes, leafHash, MerkleFrontier } from '../../src/index.js';
import { decodeEntryRow, type EntryRow } from '../../src/stores/sqlite/schema.js';

/**
 * What an attacker holding the database file and this code can do: edit one entry's data and recompute
 * every leaf hash and tree root, so the log's own recompute finds nothing wrong.
 */
export function rewriteHistory(path: string, index: number, edit: (data: Record<string, unknown>) => Record<string, unknown>): void {
  const db = new Database(path);
  const rows = db.prepare('SELECT * FROM audit_entries ORDER BY idx').all() as EntryRow[];
  const update = db.prepare('UPDATE audit_entries SET data = ?, leaf_hash = ?, tree_root = ? WHERE idx = ?');
  const frontier = new MerkleFrontier();
  for (const row of rows) {
    const data = row.idx === index ? JSON.stringify(edit(JSON.parse(row.data) as Record<string, unknown>)) : row.data;
    const hash = leafHash(leafBytes(decodeEntryRow({ ...row, data })));
    frontier.append(hash);
    update.run(data, Buffer.from(hash), Buffer.from(frontier.root()), row.idx);
  }
  db.close();
}

/** Deletes every entry from `index` on, as restoring an old backup or a careful attacker would. */
export function truncateLog(path: string, index: number): void {
  const db = new Database(path);
  db.prepare('DELETE FROM audit_entries WHERE idx >= ?').run(index);
  db.close();
}
