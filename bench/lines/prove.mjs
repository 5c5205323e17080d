// The prove line: what exporting a bundle's proofs costs against the one pass any proof needs.
import { join } from 'node:path';
import { MerkleFrontier, storeProver, verifyInclusionProof } from '../../dist/index.js';
import sqliteStore from '../../dist/stores/sqlite.js';
import { runIfMain } from '../alone.mjs';
import { fillLog } from '../fill-log.mjs';
import { timeAsync } from '../timing.mjs';

const ENTRIES = Number(process.env.VCB_BENCH_VERIFY_ENTRIES ?? 20000);
const PROOFS = 20;

// Baseline: the one pass any proof needs, every leaf hash read and the root computed once.
async function rootOnce(path) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    const frontier = new MerkleFrontier();
    for (const hash of await store.readLeafHashes(0, ENTRIES)) frontier.append(hash);
    frontier.root();
  });
  await store.close();
  return ms;
}

// What exporting a bundle of PROOFS entries costs: the prover, the root, an inclusion proof each.
async function bundleProofs(path) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    const prover = await storeProver(store, ENTRIES);
    const root = await prover.root();
    for (let i = 0; i < PROOFS; i += 1) {
      const index = Math.floor((i * ENTRIES) / PROOFS);
      const proof = await prover.inclusionProof(index, ENTRIES);
      if (i === 0 && !verifyInclusionProof({ leafIndex: index, treeSize: ENTRIES, leafHash: (await store.readLeafHashes(index, index + 1))[0], proof, rootHash: root })) {
        throw new Error('a benchmark proof does not verify');
      }
    }
  });
  await store.close();
  return ms;
}

/** The root and PROOFS inclusion proofs against reading every leaf hash and computing the root once. */
const line = {
  name: 'prove',
  target: 2,
  why: 'an evidence bundle needs the root and a proof per entry; they were built from every leaf, so the target was a little more than hashing the tree once; with the subtree hashes the store keeps they read O(log n) hashes, so the ratio now sits far below it (the sign and export lines carry the O(log n) targets)',
  async measure({ dir }) {
    const path = join(dir, 'prove.db');
    await fillLog(path, ENTRIES);
    let baseline = 0;
    let ours = 0;
    for (let half = 0; half < 2; half += 1) {
      baseline += await rootOnce(path);
      ours += await bundleProofs(path);
    }
    return { ours, baseline, detail: `the root and ${PROOFS} inclusion proofs over ${ENTRIES} entries ${ours.toFixed(0)} ms, the root once ${baseline.toFixed(0)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
