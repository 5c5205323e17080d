// The first-write line: what a new process pays to open the log and append its first entry, as the log grows.
import sqliteStore from '../../dist/stores/sqlite.js';
import { runIfMain } from '../alone.mjs';
import { benchEntry } from '../fill-log.mjs';
import { filledCopy } from '../evidence-log.mjs';
import { medianMs } from '../timing.mjs';

const SAMPLES = 7;

/** Opening a store on a log of each size and appending once, against one append on a store already open. */
const line = {
  name: 'first-write',
  target: 20,
  why: 'a starting process reads the tree edge the store keeps (O(log n) hashes) instead of every leaf hash: at a million entries its first write may cost at most twenty normal appends, and must not grow with the log',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ dir, size }) {
    const filename = await filledCopy(dir, size);
    let next = size;
    const stores = [];
    try {
      const ours = await medianMs(SAMPLES, async () => {
        const store = sqliteStore({ filename });
        stores.push(store);
        await store.append(benchEntry((next += 1)), Date.now());
      }, async () => stores.pop()?.close());
      const open = stores.at(-1);
      const baseline = await medianMs(SAMPLES, () => open.append(benchEntry((next += 1)), Date.now()));
      return { ours, baseline, detail: `median of ${SAMPLES}: open + first append ${ours.toFixed(2)} ms, an append ${baseline.toFixed(2)} ms` };
    } finally {
      for (const store of stores) await store.close();
    }
  },
};

export default line;
await runIfMain(import.meta.url, line);
