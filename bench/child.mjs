// Figures measured in a fresh node process, so nothing the bench itself loaded is counted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs node with `args` in a new process and returns what it printed, trimmed. */
export async function nodeOutput(args, { timeoutMs = 120_000 } = {}) {
  const { stdout } = await run(process.execPath, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Runs `code` as an ES module in a new node process and returns the one number it prints. */
export async function childFigure(code) {
  const output = await nodeOutput(['--input-type=module', '-e', code]);
  const figure = Number(output);
  if (output === '' || !Number.isFinite(figure)) throw new Error(`a bench child printed ${JSON.stringify(output)}, not a number`);
  return figure;
}
