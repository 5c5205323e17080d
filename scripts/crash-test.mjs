#!/usr/bin/env node
// Crash test for the evidence log: a child process appends as fast as it can and is killed with SIGKILL
// at a random moment, again and again. After each kill the log is reopened, as after a restart, and must
// hold every append the child saw acknowledged, byte for byte, and nothing half-written.
//
//   node scripts/crash-test.mjs sqlite   [--rounds 1000] [--writers 1] [--file PATH] [--keep] [--json]
//   node scripts/crash-test.mjs postgres [--rounds 1000] [--writers 1] [--url URL]   [--keep] [--json]
//
// With --writers K the child runs K appenders at once, so appends the store commits as a group are
// killed mid-group: every acknowledged one must be there, each writer's in the order it made them.
//
// PostgreSQL's URL defaults to $VCB_TEST_POSTGRES_URL, then $DATABASE_URL; each run uses a schema of its
// own, dropped at the end. It needs the build (npm run build). Exit status 0 when every round passed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';

const CHILD = fileURLToPath(new URL('../test/stores/crash-child.mjs', import.meta.url));
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '1000' },
    writers: { type: 'string', default: '1' },
    file: { type: 'string' },
    url: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const kind = positionals[0];
const rounds = Number(options.rounds);
const writers = Number(options.writers);
if ((kind !== 'sqlite' && kind !== 'postgres') || !Number.isSafeInteger(rounds) || rounds < 1 || !Number.isSafeInteger(writers) || writers < 1) {
  fail('usage: crash-test.mjs sqlite|postgres [--rounds N] [--writers K] [--file PATH] [--url URL] [--keep] [--json]');
}
if (!existsSync(fileURLToPath(dist(`stores/${kind}.js`)))) fail('dist/ is missing: run npm run build first');

const target = kind === 'sqlite' ? sqliteTarget(options.file) : await postgresTarget(options.url);
// A checkpoint is signed after every round with a throwaway key; its note is kept here, outside the database.
const signerKey = await throwawayKey();
const signer = (await import(dist('index.js'))).createCheckpointSigner({ key: signerKey.signing });
const stats = { store: kind, writers, rounds: 0, acknowledged: 0, killedBeforeReady: 0, roundsWithoutAck: 0, committedUnacknowledged: 0 };
// How long each step takes here, learnt as the rounds go, so kill times fit a fast or a loaded machine
// and a log of any length: opening the store, a process's first append (it reads every leaf hash), the next.
let openMs = 20;
let firstAppendMs = 50;
let appendMs = 10;
const started = performance.now();
let failed = false;
let next; // the child started ahead of its round, killed if the run ends early
try {
  let before = { size: 0, root: EMPTY_ROOT };
  next = startChild(0);
  for (let round = 0; round < rounds; round += 1) {
    const current = next;
    next = round + 1 < rounds ? startChild(round + 1) : undefined;
    before = await crashRound(round, current, before);
    stats.rounds += 1;
  }
} catch (error) {
  failed = true;
  console.error(`crash test failed in round ${stats.rounds} (log kept at ${target.where}): ${error.stack ?? error}`);
} finally {
  next?.process.kill('SIGKILL');
  if (!failed && !options.keep) await target.remove();
  await target.close();
}
const summary = { ok: !failed, ...stats, wallMs: Math.round(performance.now() - started) };
console.log(options.json ? JSON.stringify(summary) : summary);
process.exitCode = failed ? 1 : 0;

/** Runs one child, kills it, and checks the reopened log; returns the log's head after the round. */
async function crashRound(round, child, before) {
  const { lines, beforeReady } = await killWhileAppending(child);
  if (beforeReady) stats.killedBeforeReady += 1;
  const acknowledged = lines.map((line) => JSON.parse(line));
  stats.acknowledged += acknowledged.length;
  if (acknowledged.length === 0) stats.roundsWithoutAck += 1;
  await target.settle(round);

  const store = await target.open();
  try {
    const head = await store.head();
    const verification = await store.verify();
    check(verification.ok && verification.entries === head.size, `the log does not verify: ${JSON.stringify(verification)}`);
    check(head.size >= before.size, `the log lost entries of earlier rounds: ${head.size} < ${before.size}`);
    // The log as it stood before this round must be unchanged: the checkpoint signed after the last
    // round, kept here outside the database, must open with its key and be consistent with the log now.
    check((await rootOf(await store.readEntries({ limit: before.size }))) === before.root, 'the entries of earlier rounds changed');
    if (before.note !== undefined) await expectConsistentWith(store, before.note);
    const written = await store.readEntries({ fromIndex: before.size });
    // Each writer's appends are logged in the order it made them, with none skipped.
    const made = new Map();
    written.forEach((entry, i) => {
      const { writer, n } = entry.data;
      check(entry.index === before.size + i && entry.data.round === round && n === (made.get(writer) ?? 0), `entry ${entry.index} is not this round's next append of writer ${writer}`);
      made.set(writer, n + 1);
    });
    // An append can commit and the kill land before its line is written: at most one such entry a writer.
    const unacknowledged = written.length - acknowledged.length;
    check(unacknowledged >= 0 && unacknowledged <= writers, `${acknowledged.length} acknowledged, ${written.length} logged`);
    if (unacknowledged > 0) stats.committedUnacknowledged += 1;
    acknowledged.forEach((entry) => check(isDeepStrictEqual(written[entry.index - before.size], entry), `acknowledged entry ${entry.index} differs after the restart`));
    const event = acknowledged.findLast((entry) => entry.providerEventId !== undefined);
    if (event) await expectDuplicate(store, event);
    await expectSubtreesOf(store, await store.readEntries());
    const signed = await signer.sign(store, (input) => store.append(input, Date.now()));
    const after = await store.head();
    check(signed.size === head.size && after.size === head.size + 1, 'the checkpoint did not cover exactly the log as reopened');
    return { size: after.size, root: await rootOf(await store.readEntries()), note: signed.note };
  } finally {
    await store.close();
    await target.checkFile?.();
  }
}

/** Checks the reopened log extends the checkpoint signed after the previous round (RFC 9162 consistency). */
async function expectConsistentWith(store, note) {
  const { compareWithCheckpoint, headProver, openCheckpoint } = await import(dist('index.js'));
  const opened = openCheckpoint(note, signerKey.verifier);
  check(opened.ok, `the kept checkpoint no longer opens: ${opened.detail}`);
  const comparison = await compareWithCheckpoint(await headProver(store), opened.checkpoint);
  check(comparison.ok, `the log is not consistent with the last checkpoint: ${comparison.detail}`);
}

/** Checks the store keeps every perfect subtree of 256 leaves or more, each with the hash its entries give. */
async function expectSubtreesOf(store, entries) {
  const { leafBytes, leafHash, merkleTreeHash, sameHash } = await import(dist('index.js'));
  const leaves = entries.map((entry) => leafHash(leafBytes(entry)));
  const addresses = [];
  for (let level = 8; 2 ** level <= leaves.length; level += 1) {
    for (let index = 0; (index + 1) * 2 ** level <= leaves.length; index += 1) addresses.push({ level, index });
  }
  const kept = await store.readSubtreeHashes(addresses);
  addresses.forEach(({ level, index }, i) => {
    const expected = merkleTreeHash(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
    check(kept[i] !== undefined && sameHash(kept[i], expected), `the subtree of level ${level} at ${index} is not what its entries give`);
  });
}

/** The RFC 9162 root of entries, recomputed here rather than trusted from the store. */
async function rootOf(entries) {
  const { leafBytes, leafHash, merkleTreeHash, toHex } = await import(dist('index.js'));
  return toHex(merkleTreeHash(entries.map((entry) => leafHash(leafBytes(entry)))));
}

/** A signing key for this run only, and its verifier. */
async function throwawayKey() {
  const { generateSigningKey, parseSigningKey, parseVerifierKey } = await import(dist('index.js'));
  const generated = generateSigningKey('crash-test.vcb.invalid/log');
  return { signing: parseSigningKey(generated.signingKey), verifier: parseVerifierKey(generated.verifierKey) };
}

/** Spawns the child of a round; it loads the package, then waits for {@link killWhileAppending}. */
function startChild(round) {
  const child = spawn(process.execPath, [CHILD, kind, target.childTarget(round), target.schema ?? '', String(round)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, VCB_CRASH_WRITERS: String(writers) },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk) => (output.stderr += chunk.toString()));
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { process: child, output, exited };
}

/**
 * Lets the child go and SIGKILLs it: in 12% of rounds while it opens the store, in 13% during its first
 * append, otherwise at a random point within about twelve appends after its first acknowledgement.
 */
async function killWhileAppending({ process: child, output, exited }) {
  const moment = Math.random();
  const when = moment < 0.12 ? 'opening' : moment < 0.25 ? 'first-append' : 'appending';
  let readyAt;
  let timer;
  const ackTimes = [];
  const killAfter = (ms) => (timer = setTimeout(() => child.kill('SIGKILL'), ms));
  child.stdout.on('data', () => {
    if (readyAt === undefined && output.stdout.startsWith('ready\n')) {
      readyAt = performance.now();
      if (when === 'first-append') killAfter(Math.random() * firstAppendMs);
    }
    const completeLines = output.stdout.split('\n').length - 1;
    while (ackTimes.length < completeLines - 1) ackTimes.push(performance.now()); // the first line is "ready"
    if (when === 'appending' && timer === undefined && ackTimes.length > 0) killAfter(Math.random() * 12 * appendMs);
  });
  const goAt = performance.now();
  child.stdin.write('go\n');
  if (when === 'opening') killAfter(Math.random() * openMs);
  // A child that never gets to the moment chosen for it is a hang to report, not a round to count.
  let stalled = false;
  const watchdog = setTimeout(() => {
    stalled = true;
    child.kill('SIGKILL');
  }, 30_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  clearTimeout(watchdog);
  if (stalled) throw new Error(`the child made no progress in 30 s: ${output.stderr}`);
  if (signal !== 'SIGKILL') throw new Error(`the child stopped by itself (${code}): ${output.stderr}`);
  if (readyAt !== undefined) openMs = 0.8 * openMs + 0.2 * (readyAt - goAt);
  if (ackTimes.length > 0) firstAppendMs = 0.8 * firstAppendMs + 0.2 * (ackTimes[0] - readyAt);
  if (ackTimes.length > 1) appendMs = 0.8 * appendMs + (0.2 * (ackTimes.at(-1) - ackTimes[0])) / (ackTimes.length - 1);
  // Only whole lines count: a line cut by the kill was not an acknowledgement the child finished reporting.
  const { stdout } = output;
  const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1).split('\n').filter((line) => line !== '' && line !== 'ready');
  return { lines: complete, beforeReady: readyAt === undefined };
}

async function expectDuplicate(store, entry) {
  const before = await store.head();
  const replay = { type: entry.type, source: entry.source, provider: entry.provider, providerEventId: entry.providerEventId, data: {} };
  const outcome = await store.append(replay, Date.now()).then(() => 'appended', (error) => error.code);
  check(outcome === 'DUPLICATE_EVENT', `replaying ${entry.providerEventId} gave ${outcome}, not DUPLICATE_EVENT`);
  check((await store.head()).size === before.size, 'a refused duplicate changed the log');
}

function sqliteTarget(file) {
  const dir = file === undefined ? mkdtempSync(join(tmpdir(), 'vcb-crash-')) : undefined;
  const filename = file ?? join(dir, 'evidence.db');
  return {
    where: filename,
    childTarget: () => filename,
    settle: async () => undefined,
    open: async () => (await import(dist('stores/sqlite.js'))).default({ filename }),
    async checkFile() {
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(filename, { readonly: true });
      try {
        const result = db.pragma('integrity_check', { simple: true });
        check(result === 'ok', `PRAGMA integrity_check says ${result}`);
      } finally {
        db.close();
      }
    },
    remove: async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    close: async () => undefined,
  };
}

async function postgresTarget(url = process.env.VCB_TEST_POSTGRES_URL ?? process.env.DATABASE_URL) {
  if (!url) fail('postgres needs --url, VCB_TEST_POSTGRES_URL or DATABASE_URL');
  const { default: pg } = await import('pg');
  const schema = `vcb_crash_${randomBytes(5).toString('hex')}`;
  // One connection of the script's own, for watching the children's sessions and dropping the schema.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const query = async (sql, values) => (await admin.query(sql, values)).rows;
  const appName = (round) => `${schema}_${round}`;
  return {
    schema,
    where: `schema ${schema}`,
    childTarget(round) {
      const childUrl = new URL(url);
      childUrl.searchParams.set('application_name', appName(round));
      return childUrl.href;
    },
    // A killed client's last COMMIT may still be in flight: wait until the server has finished its session.
    async settle(round) {
      for (let waited = 0; ; waited += 10) {
        const [{ n }] = await query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [appName(round)]);
        if (n === 0) return;
        check(waited < 10_000, `the killed child's session is still open after 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    open: async () => (await import(dist('stores/postgres.js'))).default({ connectionString: url, schema, maxConnections: 1 }),
    remove: () => query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
    close: () => admin.end(),
  };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function fail(message) {
  console.error(`crash-test: ${message}`);
  process.exit(2);
}
