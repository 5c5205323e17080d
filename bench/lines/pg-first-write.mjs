// The pg-first-write line: what a new PostgreSQL store pays for its first append, as the log grows.
import postgresStore from '../../dist/stores/postgres.js';
import { runIfMain } from '../alone.mjs';
import { medianMs } from '../timing.mjs';
import { benchEntry } from '../fill-log.mjs';
import { POSTGRES_URL, postgresUnavailable, sharedPostgresLog } from '../pg-log.mjs';

const SAMPLES = 7;

/** A new store's first append on a log of each size, against an append on a store already in use. */
const line = {
  name: 'pg-first-write',
  skip: await postgresUnavailable(),
  target: 20,
  why: 'a new process reads the tree edge kept with the log (O(log n) hashes) instead of every leaf hash: at a million entries its first write may cost at most twenty normal appends, and must not grow with the log',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ size }) {
    const schema = await sharedPostgresLog(size);
    const open = () => postgresStore({ connectionString: POSTGRES_URL, schema, maxConnections: 2 });
    let next = 0;
    const append = (store) => store.append({ ...benchEntry(size), providerEventId: `pg-first-write-${process.pid}-${(next += 1)}` }, Date.now());
    const stores = [];
    try {
      // Connecting is not the tree's cost: each new store connects (head()) before its first append is timed.
      const ours = await medianMs(SAMPLES, () => append(stores.at(-1)), async () => {
        await stores.at(-1)?.close();
        stores.push(open());
        await stores.at(-1).head();
      });
      const baseline = await medianMs(SAMPLES, () => append(stores.at(-1)));
      return { ours, baseline, detail: `median of ${SAMPLES}: first append ${ours.toFixed(2)} ms, a later append ${baseline.toFixed(2)} ms` };
    } finally {
      for (const store of stores) await store.close();
    }
  },
};

export default line;
await runIfMain(import.meta.url, line);
