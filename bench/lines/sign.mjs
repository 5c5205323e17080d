// The sign line: signing a checkpoint, which the bridge does at every call end, as the log grows.
import { signCheckpoint } from '../../dist/index.js';
import { runIfMain } from '../alone.mjs';
import { signedLog } from '../evidence-log.mjs';
import { medianMs } from '../timing.mjs';

const SAMPLES = 7;

/** One checkpoint signed over a log of each size, against one durable append and one Ed25519 signature. */
const line = {
  name: 'sign',
  target: 20,
  why: 'a checkpoint is a signature over the tree head plus a consistency proof from the last one, O(log n) hashes from the subtrees the store keeps: at a million entries it may cost at most twenty times one durable append and one signature, and must not grow with the log',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ dir, size }) {
    const { store, key, signer, write, appendOne } = await signedLog(dir, size);
    try {
      const memory = process.memoryUsage();
      let grew = 0;
      // A new entry before each signing, so each signs a tree the last checkpoint does not cover.
      const ours = await medianMs(SAMPLES, async () => {
        await signer.sign(store, write);
        const now = process.memoryUsage();
        grew = Math.max(grew, now.heapUsed + now.arrayBuffers - memory.heapUsed - memory.arrayBuffers);
      }, appendOne);
      const head = await store.head();
      const baseline = await medianMs(SAMPLES, async () => {
        await appendOne();
        signCheckpoint({ origin: key.name, size: head.size, root: head.root }, key);
      });
      return { ours, baseline, detail: `median of ${SAMPLES}: sign ${ours.toFixed(2)} ms, append + signature ${baseline.toFixed(2)} ms; memory grew at most ${(grew / 1e6).toFixed(1)} MB` };
    } finally {
      await store.close();
    }
  },
};

export default line;
await runIfMain(import.meta.url, line);
