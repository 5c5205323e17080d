// The calls line: verifications through a bridge whose calls are held in the store, against the
// durable appends of the same entries alone.
import { runIfMain } from '../alone.mjs';
import { storeBackedCalls } from '../store-backed-calls.mjs';

const CALL_COUNTS = (process.env.VCB_BENCH_CALLS ?? '50,100,200').split(',').map(Number);

/** `size` whole verifications (start, two webhooks, outcome, end) against appending their entries. */
const line = {
  name: 'calls',
  target: 1.5,
  why: 'a call held in the store adds a row write to each entry\'s transaction and a lookup to each webhook: it may cost at most half again the durable appends of its entries, and the ratio must not grow with the number of calls the store holds',
  sizes: CALL_COUNTS,
  async measure({ dir, size }) {
    const { total, baseline, timing, entries } = await storeBackedCalls(dir, size);
    const each = (ms) => (ms / size).toFixed(2);
    return { ours: total, baseline, detail: `${entries} entries; start ${each(timing.start)}, webhooks ${each(timing.webhooks)}, outcome+end ${each(timing.finish)} ms a call` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
