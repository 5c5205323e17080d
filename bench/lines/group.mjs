// The group line: many callers appending at once, against the same appends one durable transaction each,
// with how long the event loop stalls meanwhile (an fsync on the calling thread would show as lag).
import { join } from 'node:path';
import { runIfMain } from '../alone.mjs';
import { concurrentAppends, idleLoopLag, rawAppends } from '../appends.mjs';

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
    const lag = { p99: 0, max: 0 };
    for (let half = 0; half < 2; half += 1) {
      baseline += rawAppends(join(dir, `raw-${half}.db`), APPENDS);
      const run = await concurrentAppends(join(dir, `group-${half}.db`), APPENDS, WRITERS);
      ours += run.ms;
      lag.p99 = Math.max(lag.p99, run.lag.p99);
      lag.max = Math.max(lag.max, run.lag.max);
    }
    const idle = await idleLoopLag(ours / 2);
    const ms = (value) => value.toFixed(1);
    return {
      ours,
      baseline,
      detail: `${2 * APPENDS} appends from ${WRITERS} concurrent callers ${ours.toFixed(0)} ms vs one durable transaction each ${baseline.toFixed(0)} ms; loop lag p99 ${ms(lag.p99)} ms, max ${ms(lag.max)} ms (idle p99 ${ms(idle.p99)}, max ${ms(idle.max)})`,
    };
  },
};

export default line;
await runIfMain(import.meta.url, line);
