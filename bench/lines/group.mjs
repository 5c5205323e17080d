// Group commit on SQLite: 64 callers appending at once against one durable transaction per append, and
// how long the event loop stalls meanwhile (an fsync on the main thread shows up as lag).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import sqliteStore from '../../dist/stores/sqlite.js';
import { benchEntry } from '../fill-log.mjs';

const WRITERS = 64;
const APPENDS = Number(process.env.VCB_BENCH_GROUP_APPENDS ?? 1024);

// Baseline: the same rows inserted one per durable transaction, with no hashing or canonical JSON.
function rawAppends(path, count) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (idx INTEGER PRIMARY KEY, verification_id TEXT, type TEXT, at TEXT, source TEXT, provider TEXT, provider_event_id TEXT, data TEXT, leaf_hash BLOB, tree_root BLOB)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const blob = Buffer.alloc(32);
  const one = db.transaction((i) => {
    const e = benchEntry(i);
    insert.run(i, e.verificationId, e.type, new Date().toISOString(), e.source, e.provider, e.providerEventId, JSON.stringify(e.data), blob, blob);
  });
  const started = performance.now();
  for (let i = 0; i < count; i += 1) one.immediate(i);
  const ms = performance.now() - started;
  db.close();
  return ms;
}

/** The loop's delay while `work` runs: p99 and max in milliseconds. */
async function loopLag(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  histogram.disable();
  return { ms, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

// WRITERS callers appending at once, each waiting for its own append before the next.
async function concurrentAppends(path, count) {
  const store = sqliteStore({ filename: path });
  // One append first, so starting the store (its writer thread) is not timed.
  await store.append(benchEntry(count), Date.now());
  const each = count / WRITERS;
  const lag = await loopLag(() =>
    Promise.all(Array.from({ length: WRITERS }, async (_, writer) => {
      for (let i = 0; i < each; i += 1) await store.append(benchEntry(writer * each + i), Date.now());
    })),
  );
  await store.close();
  return lag;
}

/** One line of `npm run bench`: a ratio of our cost against a baseline measured in the same run. */
const line = {
  name: 'group',
  target: 0.2,
  why: 'group commit: 64 appenders at once share transactions and fsyncs, so they must take at most a fifth of the time the same appends take one durable transaction each (5x the raw single-writer rate)',
  async measure({ dir }) {
    const baseline = rawAppends(join(dir, 'raw-group.db'), APPENDS);
    const ours = await concurrentAppends(join(dir, 'group.db'), APPENDS);
    const idle = await loopLag(() => new Promise((resolve) => setTimeout(resolve, Math.max(50, ours.ms))));
    return {
      ours: ours.ms,
      baseline,
      detail: `${APPENDS} appends from ${WRITERS} callers vs one durable transaction each; loop lag p99 ${ours.p99.toFixed(1)} ms, max ${ours.max.toFixed(1)} ms (idle p99 ${idle.p99.toFixed(1)}, max ${idle.max.toFixed(1)})`,
    };
  },
};
export default line;

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.VCB_BENCH_ROUNDS ?? 5);
  const ratios = [];
  for (let round = 0; round < rounds; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'vcb-bench-group-'));
    try {
      const { ours, baseline, detail } = await line.measure({ dir });
      ratios.push(ours / baseline);
      console.log(`${line.name} round ${round + 1}: ${(ours / baseline).toFixed(3)}x  ours ${ours.toFixed(0)} ms, baseline ${baseline.toFixed(0)} ms; ${detail}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  ratios.sort((a, b) => a - b);
  const verdict = ratios[Math.floor(ratios.length / 2)] <= line.target ? 'within target' : 'OVER TARGET';
  console.log(`${line.name} min/median/max ${ratios.map((r) => r.toFixed(3)).filter((_, i, all) => i === 0 || i === Math.floor(all.length / 2) || i === all.length - 1).join(' / ')}x (target <= ${line.target}x, ${verdict})`);
}
