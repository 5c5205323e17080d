import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The harness is run as `npm run bench` runs it, on fixture lines whose ratios are known in advance:
// nothing here is timed, only what the harness does with the numbers a line returns.
const root = new URL('..', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function lineDir(lines: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-bench-lines-'));
  dirs.push(dir);
  for (const [name, source] of Object.entries(lines)) writeFileSync(join(dir, `${name}.mjs`), source);
  return dir;
}

function bench(dir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['bench/run.mjs', '--lines', dir, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, VCB_BENCH_1M: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Round r returns ours = the r-th of 1, 4, 2 over a baseline of 2: ratios 0.5, 2, 1 (median 1, mean 1.17).
const ROUNDS = `export default {
  name: 'rounds', target: 1.05, why: 'fixture',
  async measure({ dir, round }) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(dir + '/scratch', 'x');
    console.log('a line that logs must not spoil --json');
    return { ours: [1, 4, 2][round], baseline: 2, detail: 'dir ' + dir };
  },
};`;
// Ratio size / 100 at each size: 1 at 100, 2 at 200, 10 at 1,000 behind VCB_BENCH_1M.
const CURVE = `export default {
  name: 'curve', target: 1.5, why: 'fixture', sizes: [100, 200], bigSizes: [1000], rounds: 1,
  async measure({ size }) { return { ours: size, baseline: 100 }; },
};`;
const THROWS = `export default {
  name: 'throws', target: 1, why: 'fixture',
  async measure() { throw new Error('the fixture line broke'); },
};`;

const SKIPPED = `export default {
  name: 'skipped', target: 1, why: 'fixture', skip: 'no database here',
  async measure() { throw new Error('a skipped line must not be measured'); },
};`;

describe('npm run bench, the harness', () => {
  it('reports a line that cannot run here as skipped, with its reason, neither met nor failed', () => {
    const { status, stdout } = bench(lineDir({ skipped: SKIPPED, curve: CURVE }));
    expect(status).toBe(0);
    expect(stdout).toMatch(/skipped\s+-\s+skipped: no database here/);
    expect(stdout).toContain('0 of 1 lines within target; over target: curve; skipped: skipped');
    const doc = JSON.parse(bench(lineDir({ skipped: SKIPPED }), '--json').stdout);
    expect(doc.lines[0]).toMatchObject({ name: 'skipped', skipped: 'no database here', points: [], ok: true });
    expect(doc.failed).toBe(false);
  });

  it('prints one JSON document with every round, min/median/max of the ratios and a verdict per point', () => {
    const { status, stdout, stderr } = bench(lineDir({ rounds: ROUNDS, curve: CURVE }), '--json');
    expect(status).toBe(0);
    const doc = JSON.parse(stdout);
    expect(stderr).toContain('must not spoil --json');
    expect(doc.rounds).toBe(3);
    expect(doc.ok).toBe(false);
    expect(doc.failed).toBe(false);
    const [curve, rounds] = doc.lines;
    expect(rounds.name).toBe('rounds');
    expect(rounds.points).toHaveLength(1);
    const point = rounds.points[0];
    expect(point.size).toBeNull();
    expect(point.rounds.map((r: { ours: number; baseline: number; ratio: number }) => [r.ours, r.baseline, r.ratio])).toEqual([[1, 2, 0.5], [4, 2, 2], [2, 2, 1]]);
    expect(point.ratio).toEqual({ min: 0.5, median: 1, max: 2 });
    expect(point.ok).toBe(true);
    expect(rounds.ok).toBe(true);
    // The directory each round was given is gone afterwards.
    for (const round of point.rounds) expect(existsSync(round.detail.replace('dir ', ''))).toBe(false);
    expect(curve.rounds).toBe(1);
    expect(curve.points.map((p: { size: number; ratio: { median: number }; ok: boolean }) => [p.size, p.ratio.median, p.ok])).toEqual([[100, 1, true], [200, 2, false]]);
    expect(curve.ok).toBe(false);
  });

  it('prints a row per point, the curve of a sized line and a tally, and exits 0 with a line over target', () => {
    const { status, stdout } = bench(lineDir({ rounds: ROUNDS, curve: CURVE }));
    expect(status).toBe(0);
    expect(stdout).toMatch(/rounds\s+-\s+0\.50× \/ 1\.00× \/ 2\.00×\s+≤ 1\.05×\s+within target/);
    expect(stdout).toMatch(/curve\s+200\s+2\.00× \(1 round\)\s+≤ 1\.5×\s+OVER TARGET/);
    expect(stdout).toMatch(/curve\s+100: 1\.00×\s+→\s+200: 2\.00×/);
    expect(stdout).toContain('1 of 2 lines within target; over target: curve');
  });

  it('adds bigSizes behind VCB_BENCH_1M and runs only the lines --only names', () => {
    const dir = lineDir({ rounds: ROUNDS, curve: CURVE });
    const result = spawnSync(process.execPath, ['bench/run.mjs', '--lines', dir, '--json', '--only', 'curve'], { cwd: root, encoding: 'utf8', env: { ...process.env, VCB_BENCH_1M: '1' } });
    const doc = JSON.parse(result.stdout);
    expect(doc.lines.map((line: { name: string }) => line.name)).toEqual(['curve']);
    expect(doc.lines[0].points.map((p: { size: number }) => p.size)).toEqual([100, 200, 1000]);
  });

  it('fails (exit 1) when a line throws, still reporting the others', () => {
    const { status, stdout, stderr } = bench(lineDir({ rounds: ROUNDS, throws: THROWS }), '--json', '--rounds', '1');
    expect(status).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.failed).toBe(true);
    expect(doc.lines.find((line: { name: string }) => line.name === 'rounds').points).toHaveLength(1);
    expect(doc.lines.find((line: { name: string }) => line.name === 'throws').error).toContain('the fixture line broke');
    expect(stderr).toContain('the fixture line broke');
  });

  it('refuses a line without a target, an unknown --only name and a bad --rounds (exit 2)', () => {
    expect(bench(lineDir({ bad: `export default { name: 'bad', why: 'x', async measure() { return { ours: 1, baseline: 1 }; } };` })).stderr).toContain('target');
    expect(bench(lineDir({ rounds: ROUNDS }), '--only', 'nope').status).toBe(2);
    expect(bench(lineDir({ rounds: ROUNDS }), '--rounds', '0').status).toBe(2);
  });

  it('finds every line in bench/lines, each with the shape the harness checks', () => {
    // An unknown --only name lists the lines discovered, after every one was loaded and its shape checked.
    const result = spawnSync(process.execPath, ['bench/run.mjs', '--only', 'no-such-line'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(2);
    const names = /the lines are (.*)/.exec(result.stderr)![1]!.split(', ');
    for (const name of ['append', 'group', 'verify', 'prove', 'by-verif', 'latest-cp', 'calls', 'import', 'idle-rss', 'soak']) expect(names).toContain(name);
  });
});
