// Benchmarks, each reported as a ratio against a baseline measured in the same run on the same
// machine, so the figure means something on a noisy or slow machine. Run with `npm run bench`.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { MerkleFrontier, storeProver, verifyInclusionProof } from '../dist/index.js';
import sqliteStore from '../dist/stores/sqlite.js';
import { benchEntry, fillLog } from './fill-log.mjs';
import { indexedReads } from './indexed-reads.mjs';
import { storeBackedCalls } from './store-backed-calls.mjs';

const APPENDS = Number(process.env.VCB_BENCH_APPENDS ?? 1000);
const VERIFY_ENTRIES = Number(process.env.VCB_BENCH_VERIFY_ENTRIES ?? 20000);
// Targets: what the evidence log may cost over the bare database work it cannot avoid. verify()
// must recompute the root recorded after every append: an RFC 9162 root of n leaves costs
// popcount(n) hashes and prefixes share none of them, so about 7 hashes an entry at 20,000 entries
// on top of the leaf hash and the canonical JSON; that, not I/O, sets its target.
// An evidence bundle needs the root and a proof per entry; with large subtrees remembered that should
// cost little more than hashing the tree once.
// A call held in the store adds a row write to each entry's transaction and a lookup to each webhook:
// it may cost at most half again the durable appends of its entries.
// A query by verification or for the latest checkpoint is an index lookup: at a million entries it
// may cost at most twenty durable appends, and it must not grow with the log.
// Group commit: 64 appenders at once share transactions and fsyncs, so they must take at most a fifth
// of the time the same appends take one durable transaction each (5× the raw single-writer rate).
const TARGETS = { append: 3, verify: 6, prove: 2, calls: 1.5, reads: 20, group: 0.2 };
const CONCURRENT_WRITERS = 64;
const READ_SIZES = process.env.VCB_BENCH_1M ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
const CALL_COUNTS = (process.env.VCB_BENCH_CALLS ?? '50,100,200').split(',').map(Number);
const PROOFS = 20;

const dir = mkdtempSync(join(tmpdir(), 'vcb-bench-'));
const input = benchEntry;

function time(fn) {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

async function timeAsync(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

// Baseline: the same rows inserted one per durable transaction, with no hashing or canonical JSON.
function rawAppends(path, count) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (idx INTEGER PRIMARY KEY, verification_id TEXT, type TEXT, at TEXT, source TEXT, provider TEXT, provider_event_id TEXT, data TEXT, leaf_hash BLOB, tree_root BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const blob = Buffer.alloc(32);
  const one = db.transaction((i) => {
    const e = input(i);
    insert.run(i, e.verificationId, e.type, new Date().toISOString(), e.source, e.provider, e.providerEventId, JSON.stringify(e.data), blob, blob);
  });
  const ms = time(() => {
    for (let i = 0; i < count; i += 1) one.immediate(i);
  });
  db.close();
  return ms;
}

async function storeAppends(path, count) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    for (let i = 0; i < count; i += 1) await store.append(input(i), Date.now());
  });
  await store.close();
  return ms;
}

// 64 callers appending at once, each waiting for its own append before the next.
async function concurrentAppends(path, count) {
  const store = sqliteStore({ filename: path });
  const each = count / CONCURRENT_WRITERS;
  const ms = await timeAsync(() =>
    Promise.all(Array.from({ length: CONCURRENT_WRITERS }, async (_, writer) => {
      for (let i = 0; i < each; i += 1) await store.append(input(writer * each + i), Date.now());
    })),
  );
  await store.close();
  return ms;
}

// Baseline: read every row and hash its bytes once; verify() must also re-canonicalise and rebuild the tree.
function rawReadAndHash(path) {
  const db = new Database(path, { readonly: true });
  const ms = time(() => {
    for (const row of db.prepare('SELECT * FROM audit_entries ORDER BY idx').iterate()) {
      createHash('sha256').update(row.data).update(row.leaf_hash).digest();
    }
  });
  db.close();
  return ms;
}

async function storeVerify(path) {
  const store = sqliteStore({ filename: path });
  let result;
  const ms = await timeAsync(async () => {
    result = await store.verify();
  });
  await store.close();
  if (!result.ok || result.entries !== VERIFY_ENTRIES) throw new Error(`verify failed: ${JSON.stringify(result)}`);
  return ms;
}

// Baseline: the one pass any proof needs, every leaf hash read and the root computed once.
async function rootOnce(path) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    const frontier = new MerkleFrontier();
    for (const hash of await store.readLeafHashes(0, VERIFY_ENTRIES)) frontier.append(hash);
    frontier.root();
  });
  await store.close();
  return ms;
}

// What exporting a bundle of PROOFS entries costs: the prover, the root, an inclusion proof each.
async function bundleProofs(path) {
  const store = sqliteStore({ filename: path });
  const ms = await timeAsync(async () => {
    const prover = await storeProver(store, VERIFY_ENTRIES);
    const root = await prover.root();
    for (let i = 0; i < PROOFS; i += 1) {
      const index = Math.floor((i * VERIFY_ENTRIES) / PROOFS);
      const proof = await prover.inclusionProof(index, VERIFY_ENTRIES);
      if (i === 0 && !verifyInclusionProof({ leafIndex: index, treeSize: VERIFY_ENTRIES, leafHash: (await store.readLeafHashes(index, index + 1))[0], proof, rootHash: root })) {
        throw new Error('a benchmark proof does not verify');
      }
    }
  });
  await store.close();
  return ms;
}

function report(name, ours, baseline, target, unit) {
  const ratio = ours / baseline;
  const verdict = ratio <= target ? 'within target' : 'OVER TARGET';
  const ms = (value) => value.toFixed(value < 10 ? 2 : 0);
  console.log(`${name.padEnd(9)} ratio ${ratio.toFixed(2)}× (target ≤ ${target}×, ${verdict})  ours ${ms(ours)} ms, baseline ${ms(baseline)} ms${unit}`);
}

try {
  // Alternate the two sides so drift in machine speed hits both.
  let raw = 0;
  let ours = 0;
  for (let round = 0; round < 2; round += 1) {
    raw += rawAppends(join(dir, `raw-${round}.db`), APPENDS / 2);
    ours += await storeAppends(join(dir, `store-${round}.db`), APPENDS / 2);
  }
  report('append', ours, raw, TARGETS.append, ` for ${APPENDS} durable appends`);

  let rawGroup = 0;
  let grouped = 0;
  for (let round = 0; round < 2; round += 1) {
    rawGroup += rawAppends(join(dir, `raw-group-${round}.db`), 1024);
    grouped += await concurrentAppends(join(dir, `group-${round}.db`), 1024);
  }
  report('group', grouped, rawGroup, TARGETS.group, ` for 2048 appends from ${CONCURRENT_WRITERS} concurrent callers vs one durable transaction each`);

  const big = join(dir, 'verify.db');
  await fillLog(big, VERIFY_ENTRIES);
  const heapBefore = process.memoryUsage().heapUsed;
  const verifyMs = await storeVerify(big);
  const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  report('verify', verifyMs, rawReadAndHash(big), TARGETS.verify, ` for ${VERIFY_ENTRIES} entries; heap growth ${heapGrowthMb.toFixed(1)} MB`);

  let baselineRoot = 0;
  let proving = 0;
  for (let round = 0; round < 2; round += 1) {
    baselineRoot += await rootOnce(big);
    proving += await bundleProofs(big);
  }
  report('prove', proving, baselineRoot, TARGETS.prove, ` for the root and ${PROOFS} inclusion proofs over ${VERIFY_ENTRIES} entries`);

  // A scale curve: each read's ratio to one append must stay flat as the log grows tenfold.
  for (const size of READ_SIZES) {
    const { append, verification, latestCheckpoint } = await indexedReads(dir, size);
    report('by-verif', verification, append, TARGETS.reads, ` at ${size} entries: one verification's entries vs one durable append`);
    report('latest-cp', latestCheckpoint, append, TARGETS.reads, ` at ${size} entries: the latest checkpoint vs one durable append`);
  }

  // A scale curve: the ratio must not grow with the number of calls the store holds.
  for (const count of CALL_COUNTS) {
    const { total, baseline, timing, entries } = await storeBackedCalls(dir, count);
    const parts = `start ${(timing.start / count).toFixed(2)}, webhooks ${(timing.webhooks / count).toFixed(2)}, outcome+end ${(timing.finish / count).toFixed(2)} ms a call`;
    report('calls', total, baseline, TARGETS.calls, ` for ${count} verifications (${entries} entries; ${parts})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
