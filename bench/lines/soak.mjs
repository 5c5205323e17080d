// The soak line: verifications one after another through a bridge on SQLite (an in-process adapter, as in
// the calls line), the heap measured after a full collection once 1,000, 5,000 and 10,000 calls have finished.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { nodeOutput } from '../child.mjs';
import { runIfMain } from '../alone.mjs';

const CALLS = Number(process.env.VCB_BENCH_SOAK ?? 10_000);
const CHECKPOINTS = [CALLS / 10, CALLS / 2, CALLS].map(Math.round);
const CHILD = fileURLToPath(new URL('../soak-child.mjs', import.meta.url));

/** The heap after CALLS finished verifications against the heap after the first tenth of them. */
const line = {
  name: 'soak',
  target: 1.05,
  why: 'a finished call must leave nothing behind: the heap after a full collection wanders by about 2% between checkpoints with no trend (caches that fill once), so 5% of it over 9,000 calls (about 40 bytes a verification) is the tolerance; the leak this line found kept 5.4 KB a verification',
  // Each round is 10,000 verifications, minutes on a shared machine; the figure is already a slope over all of them.
  rounds: 1,
  async measure({ dir }) {
    const output = await nodeOutput(['--expose-gc', CHILD, join(dir, 'soak.db'), CHECKPOINTS.join(',')], { timeoutMs: 30 * 60_000 });
    const heap = JSON.parse(output);
    const [first, middle, last] = CHECKPOINTS.map((count) => heap[count]);
    const perVerification = (last - first) / (CHECKPOINTS[2] - CHECKPOINTS[0]);
    const mb = (bytes) => (bytes / 1e6).toFixed(2);
    return {
      ours: last,
      baseline: first,
      detail: `heap after GC ${mb(first)} / ${mb(middle)} / ${mb(last)} MB at ${CHECKPOINTS.map((c) => c.toLocaleString('en-GB')).join(' / ')} calls: ${perVerification.toFixed(0)} bytes a verification`,
    };
  },
};

export default line;
await runIfMain(import.meta.url, line);
