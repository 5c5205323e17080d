// The bench harness: finds the lines in a folder, runs each for several rounds at each of its sizes,
// and sums every point up as the min, median and max of ours / baseline. A line only measures; the
// verdict is the harness's, so every line is judged the same way.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Loads every `*.mjs` in `dir` (in name order) and checks each default export has a line's shape. */
export async function discoverLines(dir) {
  const files = readdirSync(dir).filter((name) => name.endsWith('.mjs')).sort();
  const lines = [];
  for (const file of files) {
    const line = (await import(pathToFileURL(join(dir, file)).href)).default;
    checkShape(line, file);
    if (lines.some((other) => other.name === line.name)) throw new Error(`${file}: a second line is named ${line.name}`);
    lines.push(line);
  }
  return lines;
}

function checkShape(line, file) {
  const wrong = (what) => new Error(`${file}: the default export ${what}`);
  if (typeof line !== 'object' || line === null) throw wrong('is not a bench line object');
  if (typeof line.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(line.name)) throw wrong('needs a short lower-case name');
  if (typeof line.target !== 'number' || !(line.target > 0)) throw wrong('needs a positive numeric target');
  if (typeof line.why !== 'string' || line.why.trim() === '') throw wrong('needs a why');
  if (typeof line.measure !== 'function') throw wrong('needs a measure function');
  if (line.skip !== undefined && (typeof line.skip !== 'string' || line.skip.trim() === '')) throw wrong('has a skip that is not a reason');
  if (line.rounds !== undefined && !(Number.isInteger(line.rounds) && line.rounds > 0)) throw wrong('has rounds that is not a positive integer');
  for (const field of ['sizes', 'bigSizes']) {
    const sizes = line[field];
    if (sizes !== undefined && (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => Number.isInteger(s) && s > 0))) {
      throw wrong(`has ${field} that are not positive integers`);
    }
  }
}

/** The sizes a line runs at: none given is one point (size null); `big` adds its bigSizes. */
export function sizesOf(line, big) {
  if (line.sizes === undefined) return [null];
  return [...line.sizes, ...(big ? (line.bigSizes ?? []) : [])];
}

/** Min, median (the mean of the middle two for an even count) and max of a list of numbers. */
export function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

/** One round of one line at one size, in a fresh directory removed afterwards. */
async function runRound(line, size, round) {
  const dir = mkdtempSync(join(tmpdir(), `vcb-bench-${line.name}-`));
  try {
    const result = await line.measure({ dir, size, round });
    const { ours, baseline, detail } = result ?? {};
    if (!(Number.isFinite(ours) && ours >= 0) || !(Number.isFinite(baseline) && baseline > 0)) {
      throw new Error(`measure returned ours ${ours} and baseline ${baseline}; both must be finite, the baseline above zero`);
    }
    return { ours, baseline, ratio: ours / baseline, ...(typeof detail === 'string' ? { detail } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one line at each size for `rounds` rounds, or fewer when the line caps its own (a line whose one
 * round is minutes long); a throw is kept as the line's error, not rethrown.
 */
export async function runLine(line, { rounds: asked, big, onPoint = () => {} }) {
  // A line that cannot run here (no database to measure) says why, and is neither met nor failed.
  if (line.skip !== undefined) return { name: line.name, target: line.target, why: line.why, rounds: 0, points: [], ok: true, skipped: line.skip };
  const rounds = Math.min(asked, line.rounds ?? asked);
  const summary = { name: line.name, target: line.target, why: line.why, rounds, points: [] };
  try {
    for (const size of sizesOf(line, big)) {
      const results = [];
      for (let round = 0; round < rounds; round += 1) results.push(await runRound(line, size, round));
      const ratio = spread(results.map((r) => r.ratio));
      const point = { size, rounds: results, ratio, ok: ratio.median <= line.target };
      summary.points.push(point);
      onPoint(summary, point);
    }
    summary.ok = summary.points.every((point) => point.ok);
  } catch (error) {
    summary.ok = false;
    summary.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  return summary;
}
