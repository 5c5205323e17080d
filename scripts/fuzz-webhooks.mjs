#!/usr/bin/env node
// The webhook fuzzer at length: the suite's property (test/fuzz/) with 100,000 cases per provider by
// default, through vitest so the TypeScript runs as the suite runs it, then a summary table.
//
//   npm run fuzz [-- CASES [SEED]]      e.g. npm run fuzz -- 100000 42
//
// Exit status 0 when every case passed. A failing case stops its provider's run; fast-check shrinks it
// and prints it with the seed and path that replay it, and the table counts cases up to that one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [cases = '100000', seed = String(Date.now() % 2 ** 31)] = process.argv.slice(2);
if (!/^\d+$/.test(cases) || Number(cases) < 1 || !/^\d+$/.test(seed)) {
  console.error('usage: npm run fuzz -- [CASES] [SEED]   (positive whole numbers)');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vcb-fuzz-'));
const summary = join(dir, 'summary.jsonl');
console.log(`fuzzing daily, zoom, agora and teams webhooks: ${cases} cases each, seed ${seed}`);
const run = spawnSync('npx', ['vitest', 'run', 'test/fuzz/'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, VCB_FUZZ_RUNS: cases, VCB_FUZZ_SEED: seed, VCB_FUZZ_SUMMARY: summary },
});
let tallies = [];
try {
  tallies = readFileSync(summary, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
} catch {
  // No tally written: vitest failed before any run; its own output says why.
}
rmSync(dir, { recursive: true, force: true });

// One row per provider, both transports added up.
const rows = new Map();
for (const t of tallies) {
  const row = rows.get(t.provider) ?? { provider: t.provider, cases: 0, crashes: 0, non4xx: 0, logged: 0, other: 0, ms: 0, failures: [], outcomes: {} };
  for (const [key, n] of Object.entries(t.outcomes)) row.outcomes[key] = (row.outcomes[key] ?? 0) + n;
  row.cases += t.cases;
  row.crashes += t.violations.crash;
  row.non4xx += t.violations['non-4xx-on-invalid'];
  row.logged += t.violations['invalid-logged'];
  row.other += t.violations['valid-mishandled'] + t.violations['foreign-entries'];
  row.ms += t.ms;
  if (t.failure) row.failures.push(`${t.provider} over ${t.transport}: ${t.failure.split('\n').slice(0, 4).join(' | ')}`);
  rows.set(t.provider, row);
}
const header = ['provider', 'cases', 'crashes', 'non-4xx on invalid', 'invalid logged', 'valid mishandled', 'time'];
const table = [...rows.values()].map((r) => [r.provider, String(r.cases), String(r.crashes), String(r.non4xx), String(r.logged), String(r.other), `${(r.ms / 1000).toFixed(1)} s`]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${table.map(line).join('\n')}`);
// What the oracle took the cases to be, and the statuses they got: a run that only ever met 401s proves little.
for (const row of rows.values()) {
  const outcomes = Object.entries(row.outcomes).sort(([a], [b]) => a.localeCompare(b));
  console.log(`\n${row.provider}: ${outcomes.map(([key, n]) => `${key} ×${n}`).join(', ')}`);
}
for (const row of rows.values()) for (const failure of row.failures) console.log(`\n${failure}`);
console.log(`\nseed ${seed}; replay with: npm run fuzz -- ${cases} ${seed}`);
process.exit(run.status ?? 1);
