// The verify line: a full check of the log against the least a check can do, reading every row and
// hashing its bytes once.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sqliteStore from '../../dist/stores/sqlite.js';
import { runIfMain } from '../alone.mjs';
import { fillLog } from '../fill-log.mjs';
import { time, timeAsync } from '../timing.mjs';

const ENTRIES = Number(process.env.VCB_BENCH_VERIFY_ENTRIES ?? 20000);

// Baseline: read every row and hash its bytes once; verify() must also re-canonicalise and rebuild the tree.
function rawReadAndHash(path) {
  const db = new Database(path, { readonly: true });
  const ms = time(() => {
    for (const row of db.prepare('SELECT * FROM audit_entries ORDER BY idx').iterate()) {
      createHash('sha256').update(row.data).update(row.leaf_hash).digest();
    }
  });
  db.close();
  return ms;
}

async function storeVerify(path) {
  const store = sqliteStore({ filename: path });
  let result;
  const ms = await timeAsync(async () => {
    result = await store.verify();
  });
  await store.close();
  if (!result.ok || result.entries !== ENTRIES) throw new Error(`verify failed: ${JSON.stringify(result)}`);
  return ms;
}

/** A full verify() of the log against one read-and-hash pass over the same rows. */
const line = {
  name: 'verify',
  target: 6,
  why: 'verify() must recompute the root recorded after every append: an RFC 9162 root of n leaves costs popcount(n) hashes and prefixes share none of them, so about 7 hashes an entry at 20,000 entries on top of the leaf hash and the canonical JSON; that, not I/O, sets its target',
  async measure({ dir }) {
    const path = join(dir, 'verify.db');
    await fillLog(path, ENTRIES);
    const heapBefore = process.memoryUsage().heapUsed;
    const ours = await storeVerify(path);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
    const baseline = rawReadAndHash(path);
    return { ours, baseline, detail: `${ENTRIES} entries: verify ${ours.toFixed(0)} ms, read+hash ${baseline.toFixed(0)} ms; heap growth ${heapGrowthMb.toFixed(1)} MB` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
