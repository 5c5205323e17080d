// Logs of one size for the evidence lines, filled once per process and copied for each round, so a
// round at a million entries costs a file copy rather than a million hashes.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheckpointSigner, generateSigningKey, parseSigningKey } from '../dist/index.js';
import sqliteStore from '../dist/stores/sqlite.js';
import { benchEntry, fillLog } from './fill-log.mjs';

const templates = new Map();
let templateDir;

/** A fresh copy, in `dir`, of a valid log of `size` entries (see fill-log.mjs). */
export async function filledCopy(dir, size) {
  if (!templates.has(size)) {
    if (templateDir === undefined) {
      templateDir = mkdtempSync(join(tmpdir(), 'vcb-bench-logs-'));
      process.once('exit', () => rmSync(templateDir, { recursive: true, force: true }));
    }
    const path = join(templateDir, `log-${size}.db`);
    await fillLog(path, size);
    templates.set(size, path);
  }
  const copy = join(dir, `log-${size}.db`);
  copyFileSync(templates.get(size), copy);
  return copy;
}

/** The store over a copy of a log of `size` entries, a signer with a key made for the run, and its writer. */
export async function signedLog(dir, size) {
  const store = sqliteStore({ filename: await filledCopy(dir, size) });
  const key = parseSigningKey(generateSigningKey('bench.vcb.invalid/log').signingKey);
  const signer = createCheckpointSigner({ key });
  let next = size;
  const write = (input) => store.append(input, Date.now());
  // The log's first checkpoint, so each later signing proves the tree consistent with it, as in use.
  await signer.sign(store, write);
  return { store, key, signer, write, appendOne: () => write(benchEntry((next += 1))) };
}
