// The export line: one verification's evidence bundle, checked against the latest checkpoint, as the log grows.
import { exportEvidenceBundle, sealVerification } from '../../dist/index.js';
import { runIfMain } from '../alone.mjs';
import { signedLog } from '../evidence-log.mjs';
import { medianMs } from '../timing.mjs';

const SAMPLES = 7;
const ENTRIES = 10;

/** Exporting a sealed verification of ten entries from a log of each size, against one durable append. */
const line = {
  name: 'export',
  target: 20,
  why: 'a bundle holds its k entries, each proven against the latest signed checkpoint, and the log is held to that checkpoint by one consistency proof: O(k log n), so at a million entries a ten-entry bundle may cost at most twenty durable appends, and must not grow with the log',
  sizes: [10_000, 100_000],
  bigSizes: [1_000_000],
  async measure({ dir, size }) {
    const { store, signer, write, appendOne } = await signedLog(dir, size);
    try {
      const verificationId = 'vrf_bench_export';
      for (let i = 0; i < ENTRIES - 1; i += 1) await write({ verificationId, type: 'bench.step', source: 'sdk', data: { i } });
      await sealVerification(store, write, verificationId);
      await signer.sign(store, write);
      const ours = await medianMs(SAMPLES, async () => {
        const bundle = await exportEvidenceBundle(store, write, { verificationId, actor: 'bench', recipient: 'bench' });
        if (bundle.entries.length !== ENTRIES) throw new Error(`the bundle holds ${bundle.entries.length} entries`);
      });
      const baseline = await medianMs(SAMPLES, appendOne);
      return { ours, baseline, detail: `median of ${SAMPLES}: export ${ours.toFixed(2)} ms, an append ${baseline.toFixed(2)} ms` };
    } finally {
      await store.close();
    }
  },
};

export default line;
await runIfMain(import.meta.url, line);
