// `npm run bench`: every line in bench/lines/ is a ratio of our cost against a baseline measured in the
// same round on the same machine, so a figure means something on a noisy or slow machine. A bench is a
// report, not a test: it exits 0 whether or not a line meets its target, and 1 only when a line throws.
//
//   node bench/run.mjs [--rounds N] [--only name,name] [--json] [--lines DIR]
//   VCB_BENCH_1M=1 adds each line's bigSizes (a million entries) to its scale curve.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { discoverLines, runLine } from './harness.mjs';
import { curveRow, header, jsonDocument, pointRow, skippedRow, tally } from './report.mjs';

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      lines: { type: 'string', default: fileURLToPath(new URL('./lines/', import.meta.url)) },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number of at least 1, not ${values.rounds}`);
  const only = values.only === undefined ? undefined : values.only.split(',').map((name) => name.trim()).filter(Boolean);
  return { rounds, only, json: values.json, linesDir: values.lines, big: Boolean(process.env.VCB_BENCH_1M) };
}

async function main() {
  let settings;
  let lines;
  try {
    settings = options();
    lines = await discoverLines(settings.linesDir);
    if (settings.only !== undefined) {
      const unknown = settings.only.filter((name) => !lines.some((line) => line.name === name));
      if (unknown.length > 0) throw new Error(`--only names no line ${unknown.join(', ')}; the lines are ${lines.map((l) => l.name).join(', ')}`);
      lines = lines.filter((line) => settings.only.includes(line.name));
    }
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const { rounds, big, json } = settings;
  // With --json, stdout carries the one document; anything a line logs goes to stderr instead.
  const print = json ? () => {} : (text) => text !== undefined && process.stdout.write(`${text}\n`);
  if (json) console.log = console.error;
  print(header(rounds));
  const summaries = [];
  for (const line of lines) {
    const summary = await runLine(line, { rounds, big, onPoint: (s, point) => print(pointRow(s, point)) });
    if (summary.error !== undefined) console.error(`bench: line ${line.name} failed: ${summary.error}`);
    if (summary.skipped !== undefined) print(skippedRow(summary));
    print(curveRow(summary));
    summaries.push(summary);
  }
  print(tally(summaries));
  if (json) process.stdout.write(`${JSON.stringify(jsonDocument(summaries, { rounds, big }), null, 2)}\n`);
  return summaries.some((summary) => summary.error !== undefined) ? 1 : 0;
}

process.exitCode = await main();
