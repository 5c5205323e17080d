// The pg-verify line: PostgreSQL verify() streams keyset pages, so a long log verifies in a small heap.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runIfMain } from '../alone.mjs';
import { postgresUnavailable, sharedPostgresLog } from '../pg-log.mjs';

const CHILD = fileURLToPath(new URL('../pg-verify-child.mjs', import.meta.url));
const HEAP_MB = 128;

function inSmallHeap(mode, schema) {
  const out = execFileSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CHILD, mode, schema], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** verify() of the whole log in a child held to a 128 MB heap, against reading and hashing each row once in the same pages. */
const line = {
  name: 'pg-verify',
  skip: await postgresUnavailable(),
  target: 3,
  why: 'verify must recompute every leaf and every recorded root, streaming pages so memory stays flat (a child with a 128 MB heap): it may take at most three times a raw paged read with one SHA-256 per row (a third of its throughput)',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ size }) {
    const schema = await sharedPostgresLog(size);
    const baseline = inSmallHeap('raw', schema);
    const ours = inSmallHeap('verify', schema);
    if (ours.entries !== baseline.entries || ours.entries < size) throw new Error(`verify read ${ours.entries} entries, the raw read ${baseline.entries}, of at least ${size}`);
    return { ours: ours.ms, baseline: baseline.ms, detail: `in a ${HEAP_MB} MB heap: verify ${ours.ms.toFixed(0)} ms (heap ${ours.heapMb.toFixed(0)} MB at the end), raw read + SHA-256 ${baseline.ms.toFixed(0)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
