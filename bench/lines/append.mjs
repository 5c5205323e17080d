// The append line: durable appends through the SQLite store, one caller at a time, against the same rows
// inserted raw.
import { join } from 'node:path';
import { runIfMain } from '../alone.mjs';
import { rawAppends, storeAppends } from '../appends.mjs';

const APPENDS = Number(process.env.VCB_BENCH_APPENDS ?? 1000);

/** APPENDS store appends against APPENDS raw inserts, in two alternating halves. */
const line = {
  name: 'append',
  target: 3,
  why: 'what the evidence log may cost over the bare database work it cannot avoid: the same rows, one durable transaction each, with no hashing or canonical JSON',
  async measure({ dir }) {
    // Alternate the two sides so drift in machine speed hits both.
    let baseline = 0;
    let ours = 0;
    for (let half = 0; half < 2; half += 1) {
      baseline += rawAppends(join(dir, `raw-${half}.db`), APPENDS / 2);
      ours += await storeAppends(join(dir, `store-${half}.db`), APPENDS / 2);
    }
    return { ours, baseline, detail: `${APPENDS} durable appends: ours ${ours.toFixed(0)} ms, raw ${baseline.toFixed(0)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
