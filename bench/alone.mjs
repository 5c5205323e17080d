// Lets a line run by itself (`node bench/lines/append.mjs [rounds]`), printed as the harness prints it.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runLine } from './harness.mjs';
import { curveRow, header, pointRow } from './report.mjs';

/** Runs `line` when the module at `moduleUrl` is the script node was started with; otherwise does nothing. */
export async function runIfMain(moduleUrl, line) {
  if (process.argv[1] === undefined || realpathSync(process.argv[1]) !== realpathSync(fileURLToPath(moduleUrl))) return;
  const rounds = Number(process.argv[2] ?? 3);
  console.log(header(rounds));
  const summary = await runLine(line, { rounds, big: Boolean(process.env.VCB_BENCH_1M), onPoint: (s, point) => console.log(pointRow(s, point)) });
  const curve = curveRow(summary);
  if (curve !== undefined) console.log(curve);
  if (summary.error !== undefined) {
    console.error(summary.error);
    process.exitCode = 1;
  }
}
