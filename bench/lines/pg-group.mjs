/** One line of `npm run bench`: a ratio of our cost against a baseline measured in the same run. */
import { runIfMain } from '../alone.mjs';
import { postgresUnavailable } from '../pg-log.mjs';
import { inFreshSchema, rawInserts, storeAppends } from '../postgres-appends.mjs';

const CLIENTS = 8;
const APPENDS = 1_600;

const line = {
  name: 'pg-group',
  target: 1.25,
  why: `group commit on PostgreSQL: ${CLIENTS} callers appending to one store (entry, tree edge, checks, all durable) must take at most 1.25× the time ${CLIENTS} connections take to insert the same rows into a table of the log's shape, each INSERT its own commit (≥ 0.8× the raw rate)`,
  skip: await postgresUnavailable(),
  async measure({ round = 0 } = {}) {
    // The two run in turn, each first in every other round, so a neighbour's burst does not always land on the same one.
    const ours = () => inFreshSchema('group', (schema) => storeAppends(schema, APPENDS, CLIENTS));
    const baseline = () => inFreshSchema('raw', (schema) => rawInserts(schema, APPENDS, CLIENTS));
    const [a, b] = round % 2 === 0 ? [await ours(), await baseline()] : [await baseline(), await ours()].reverse();
    return { ours: a, baseline: b, detail: `${APPENDS} appends by ${CLIENTS} callers ${a.toFixed(0)} ms vs ${APPENDS} raw inserts by ${CLIENTS} connections ${b.toFixed(0)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
