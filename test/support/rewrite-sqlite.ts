import Database from 'better-sqlite3';
import { leafBytes, leafHash, MerkleFrontier, signCheckpoint, toHex, type CheckpointSigningKey } from '../../src/index.js';
import { decodeEntryRow, type EntryRow } from '../../src/stores/sqlite/schema.js';

/** What a rewrite does to the `checkpoint.signed` entries after the edit. */
export interface CheckpointRewrite {
  /**
   * Re-sign each with this key, a key of the attacker's own, so the log agrees with itself again.
   * Without one, each gets the new tree's root but keeps its old signature: a forgery.
   */
  signWith?: CheckpointSigningKey;
}

/**
 * What an attacker holding the database file and this code can do: edit one entry's data and recompute
 * every leaf hash and tree root, and the tree's edge and kept subtrees, so the store's own recompute
 * and its proofs find nothing wrong. With `checkpoints`,
 * the signed checkpoints the log holds are made to state the rewritten tree as well.
 */
export function rewriteHistory(
  path: string,
  index: number,
  edit: (data: Record<string, unknown>) => Record<string, unknown>,
  checkpoints?: CheckpointRewrite,
): void {
  const db = new Database(path);
  const rows = db.prepare('SELECT * FROM audit_entries ORDER BY idx').all() as EntryRow[];
  const update = db.prepare('UPDATE audit_entries SET data = ?, leaf_hash = ?, tree_root = ? WHERE idx = ?');
  const putSubtree = db.prepare('INSERT OR REPLACE INTO tree_subtrees (level, idx, hash) VALUES (?, ?, ?)');
  const frontier = new MerkleFrontier();
  const roots = [frontier.root()];
  for (const row of rows) {
    let data = row.idx === index ? JSON.stringify(edit(JSON.parse(row.data) as Record<string, unknown>)) : row.data;
    if (checkpoints && row.type === 'checkpoint.signed' && row.idx > index) data = JSON.stringify(restate(JSON.parse(data), roots, checkpoints));
    const hash = leafHash(leafBytes(decodeEntryRow({ ...row, data })));
    for (const { level, index: at, hash: subtree } of frontier.append(hash)) if (level >= 8) putSubtree.run(level, at, Buffer.from(subtree));
    roots.push(frontier.root());
    update.run(data, Buffer.from(hash), Buffer.from(frontier.root()), row.idx);
  }
  db.prepare('UPDATE tree_edge SET size = ?, hashes = ?').run(frontier.size, Buffer.from(frontier.edgeBytes()));
  db.close();
}

function restate(data: { size: number; origin: string; note: string }, roots: Uint8Array[], how: CheckpointRewrite): Record<string, unknown> {
  const root = roots[data.size]!;
  if (how.signWith) {
    const key = how.signWith;
    const note = signCheckpoint({ origin: key.name, size: data.size, root }, key);
    return { origin: key.name, size: data.size, root: toHex(root), verifierKey: key.verifierKey, note };
  }
  const lines = data.note.split('\n');
  lines[2] = Buffer.from(root).toString('base64');
  return { ...data, root: toHex(root), note: lines.join('\n') };
}

/** Deletes every entry from `index` on, as restoring an old backup or a careful attacker would. */
export function truncateLog(path: string, index: number): void {
  const db = new Database(path);
  db.prepare('DELETE FROM audit_entries WHERE idx >= ?').run(index);
  db.close();
}
