// The latest-cp line: reading the latest checkpoint as the log grows, against one durable append on the same file.
import { runIfMain } from '../alone.mjs';
import { indexedRead } from '../indexed-reads.mjs';

/** The latest checkpoint against one durable append, at 10k and 100k entries (and a million behind VCB_BENCH_1M). */
const line = {
  name: 'latest-cp',
  target: 20,
  why: 'a query by verification or for the latest checkpoint is an index lookup: at a million entries it may cost at most twenty durable appends, and it must not grow with the log',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ dir, size }) {
    const { append, read } = await indexedRead(dir, size, 'latestCheckpoint');
    return { ours: read, baseline: append, detail: `median of 21: read ${read.toFixed(2)} ms, append ${append.toFixed(2)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
