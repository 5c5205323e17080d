// Figures measured in a fresh node process, so nothing the bench itself loaded is counted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `code` as an ES module in a new node process and returns the one number it prints. */
export async function childFigure(code, { args = [], cwd } = {}) {
  const { stdout } = await run(process.execPath, [...args, '--input-type=module', '-e', code], { cwd, timeout: 120_000 });
  const figure = Number(stdout.trim());
  if (!Number.isFinite(figure)) throw new Error(`a bench child printed ${JSON.stringify(stdout.trim())}, not a number`);
  return figure;
}
