// How `npm run bench` prints: a row per line and size as it finishes, a curve row for each line run
// at several sizes (so a cost that grows with the log shows as a slope), and a closing tally.

// Small ratios keep two significant digits, so 0.004× is not printed as 0.00×.
const ratio = (value) => `${value < 0.1 ? value.toPrecision(2) : value < 10 ? value.toFixed(2) : value.toFixed(0)}×`;
const size = (value) => (value === null ? '-' : value.toLocaleString('en-GB'));

/** The header printed once before the first row. */
export function header(rounds) {
  return [
    `ratios are ours / baseline, both measured in the same round; min / median / max over ${rounds} round${rounds === 1 ? '' : 's'}; the verdict reads the median`,
    `${'line'.padEnd(12)}${'size'.padStart(10)}  ${'min / median / max'.padEnd(22)}${'target'.padEnd(9)}verdict        detail (median round)`,
  ].join('\n');
}

/** One row: a line at one size. */
export function pointRow(summary, point) {
  const { min, median, max } = point.ratio;
  const rounds = point.rounds.length;
  const spread = rounds === 1 ? `${ratio(median)} (1 round)` : `${ratio(min)} / ${ratio(median)} / ${ratio(max)}`;
  const verdict = point.ok ? 'within target' : 'OVER TARGET';
  return `${summary.name.padEnd(12)}${size(point.size).padStart(10)}  ${spread.padEnd(22)}${`≤ ${summary.target}×`.padEnd(9)}${verdict.padEnd(15)}${medianRound(point).detail ?? ''}`;
}

/** The round whose ratio is the median's (the lower middle one for an even count), for its detail. */
function medianRound(point) {
  const sorted = [...point.rounds].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** The scale curve of a line run at several sizes: each median on one row, and how much it grew. */
export function curveRow(summary) {
  if (summary.points.length < 2) return undefined;
  const first = summary.points[0];
  const last = summary.points[summary.points.length - 1];
  const steps = summary.points.map((point) => `${size(point.size)}: ${ratio(point.ratio.median)}`).join('  →  ');
  const growth = last.ratio.median / first.ratio.median;
  return `${''.padEnd(12)}${'curve'.padStart(10)}  ${steps}   (the median ratio ×${growth.toFixed(2)} over ${ratio(last.size / first.size)} the size; flat is O(1) over the baseline)`;
}

/** The row of a line that did not run here, and why. */
export function skippedRow(summary) {
  return `${summary.name.padEnd(12)}${'-'.padStart(10)}  skipped: ${summary.skipped}`;
}

/** The closing lines: how many lines met their target, which did not, which were skipped, and any that failed. */
export function tally(summaries) {
  const skipped = summaries.filter((s) => s.skipped !== undefined).map((s) => s.name);
  const over = summaries.filter((s) => s.error === undefined && !s.ok).map((s) => s.name);
  const failed = summaries.filter((s) => s.error !== undefined);
  const ran = summaries.length - skipped.length;
  const met = ran - over.length - failed.length;
  const rows = [`${met} of ${ran} lines within target${over.length ? `; over target: ${over.join(', ')}` : ''}${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`];
  for (const summary of failed) rows.push(`FAILED ${summary.name}: ${summary.error}`);
  return rows.join('\n');
}

/** The machine-readable document `--json` prints: every round of every point, and the verdicts. */
export function jsonDocument(summaries, { rounds, big }) {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    rounds,
    bigSizes: big,
    ok: summaries.every((s) => s.ok),
    failed: summaries.some((s) => s.error !== undefined),
    lines: summaries,
  };
}
