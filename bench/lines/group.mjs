// The group line: many callers appending at once, against the same appends one durable transaction each.
import { join } from 'node:path';
import { runIfMain } from '../alone.mjs';
import { concurrentAppends, rawAppends } from '../appends.mjs';

const WRITERS = 64;
const APPENDS = 1024;

/** 2 × APPENDS appends from WRITERS concurrent callers against as many raw single-writer transactions. */
const line = {
  name: 'group',
  target: 0.2,
  why: 'group commit: 64 appenders at once share transactions and fsyncs, so they must take at most a fifth of the time the same appends take one durable transaction each (5× the raw single-writer rate)',
  async measure({ dir }) {
    let baseline = 0;
    let ours = 0;
    for (let half = 0; half < 2; half += 1) {
      baseline += rawAppends(join(dir, `raw-${half}.db`), APPENDS);
      ours += await concurrentAppends(join(dir, `group-${half}.db`), APPENDS, WRITERS);
    }
    return { ours, baseline, detail: `${2 * APPENDS} appends from ${WRITERS} concurrent callers ${ours.toFixed(0)} ms vs one durable transaction each ${baseline.toFixed(0)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
