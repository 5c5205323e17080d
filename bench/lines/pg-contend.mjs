/** One line of `npm run bench`: a ratio of our cost against a baseline measured in the same run. */
import { runIfMain } from '../alone.mjs';
import { postgresUnavailable } from '../pg-log.mjs';
import { contendedRate, inFreshSchema } from '../postgres-appends.mjs';

const WRITERS = 8;
const RUN_MS = 2_000;

const line = {
  name: 'pg-contend',
  target: 1.0,
  why: `several servers on one PostgreSQL log must scale instead of serialising: the time per append with N processes of ${WRITERS} writers each, against one such process, must be below 1 (more processes, more appends per second)`,
  sizes: [2, 4],
  skip: await postgresUnavailable(),
  async measure({ size, round = 0 }) {
    const rate = (processes) => inFreshSchema('contend', (schema) => contendedRate(schema, processes, WRITERS, RUN_MS));
    const [one, many] = round % 2 === 0 ? [await rate(1), await rate(size)] : [await rate(size), await rate(1)].reverse();
    return { ours: 1_000 / many, baseline: 1_000 / one, detail: `${one.toFixed(0)} appends/s from 1 process, ${many.toFixed(0)} from ${size}` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
