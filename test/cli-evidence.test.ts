import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, parseSigningKey } from '../src/index.js';
import { rewriteHistory, truncateLog } from './support/rewrite-sqlite.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vcb-evidence-'));
const db = join(dir, 'x.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vcb(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(root, 'dist/cli/index.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, VCB_CHECKPOINT_KEY: '', VCB_PERSONAL_DATA_KEY: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// The key data of PRIVATE+KEY+name+hash+data, which may itself hold '+'.
const seedOf = (secret: string) => secret.trim().split('+').slice(4).join('+');
const json = (result: { stdout: string }) => JSON.parse(result.stdout) as Record<string, unknown>;

let verificationId: string;
let verifierKey: string;
let bundlePath: string;
let bundleText: string;

/** A consistent copy of the demo log (a plain file copy could miss what is still in the WAL). */
function copyOf(name: string): string {
  const copy = join(dir, `${name}.db`);
  const source = new Database(db);
  source.exec(`VACUUM INTO '${copy}'`);
  source.close();
  return copy;
}

/** The index of the demo's outcome entry, the one a forger would most want to change. */
function outcomeIndex(path: string): number {
  const database = new Database(path, { readonly: true });
  const row = database.prepare("SELECT idx FROM audit_entries WHERE type = 'outcome.recorded'").get() as { idx: number };
  database.close();
  return row.idx;
}

function verifyBundle(text: string, ...extra: string[]) {
  const path = join(dir, `b-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, text);
  const result = vcb(['audit', 'verify-bundle', path, '--json', ...extra]);
  return { status: result.status, result: json(result), stderr: result.stderr };
}

beforeAll(() => {
  const demo = vcb(['demo', '--db', db, '--json']);
  expect(demo.stderr).toBe('');
  expect(demo.status).toBe(0);
  const output = json(demo) as { verificationId: string; checkpoint: { verifierKey: string; size: number } };
  verificationId = output.verificationId;
  verifierKey = output.checkpoint.verifierKey;
  bundlePath = join(dir, 'bundle.json');
  const exported = vcb(['audit', 'export', '--db', db, '--verification', verificationId, '--out', bundlePath]);
  expect(exported.stderr).toBe('');
  expect(exported.status).toBe(0);
  bundleText = readFileSync(bundlePath, 'utf8');
});

describe('vcb demo, export and verify-bundle', () => {
  it('exports a bundle after the demo that verifies offline: exit 0 only under the key given, 3 under its own', () => {
    const given = vcb(['audit', 'verify-bundle', bundlePath, '--key', verifierKey]);
    expect(given.status).toBe(0);
    expect(given.stdout).toMatch(/^OK: \d+ entries of verification vrf_/);
    expect(verifyBundle(bundleText, '--key', verifierKey)).toMatchObject({ status: 0, result: { ok: true, keySource: 'argument', verificationId } });
    const unanchored = vcb(['audit', 'verify-bundle', bundlePath]);
    expect(unanchored.status).toBe(3);
    expect(unanchored.stdout).toMatch(/^UNANCHORED: \d+ entries of verification vrf_/);
    expect(unanchored.stdout).toContain(`the signature holds only under the bundle's own key, ${verifierKey}`);
    expect(verifyBundle(bundleText)).toMatchObject({ status: 3, result: { ok: true, keySource: 'bundle' } });
    expect(statSync(bundlePath).mode & 0o777).toBe(0o600);
  });

  it('gives a bundle forged whole under a key of the forger’s own exit 3 without --key, and wrong-key with it', () => {
    const forgerDb = join(dir, 'forger.db');
    const demo = json(vcb(['demo', '--db', forgerDb, '--json'])) as { verificationId: string };
    const forged = join(dir, 'forged.json');
    expect(vcb(['audit', 'export', '--db', forgerDb, '--verification', demo.verificationId, '--out', forged]).status).toBe(0);
    const text = readFileSync(forged, 'utf8');
    expect(verifyBundle(text)).toMatchObject({ status: 3, result: { ok: true, keySource: 'bundle' } });
    expect(verifyBundle(text, '--key', verifierKey)).toMatchObject({ status: 1, result: { ok: false, reason: 'wrong-key' } });
  });

  it('logs the export with who and to whom, as an entry of that verification', () => {
    const out = join(dir, 'to-cps.json');
    expect(vcb(['audit', 'export', '--db', db, '--verification', verificationId, '--out', out, '--to', 'CPS', '--actor', 'psd:inspector-7', '--purpose', 'file']).status).toBe(0);
    const shown = JSON.parse(vcb(['audit', 'show', '--db', db, '--verification', verificationId, '--json', '--actor', 'test']).stdout) as { type: string; actor?: string; data: Record<string, unknown> }[];
    const exports = shown.filter((entry) => entry.type === 'audit.exported');
    expect(exports.map((entry) => [entry.actor, entry.data.recipient])).toEqual([
      [expect.stringMatching(/^cli:/), 'unstated'],
      ['psd:inspector-7', 'CPS'],
    ]);
  });

  it.each([0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.97])('refuses the bundle with a bit flipped %f of the way through', (fraction) => {
    const bytes = Buffer.from(bundleText);
    const at = Math.floor(bytes.length * fraction);
    bytes[at] = bytes[at]! ^ 0x04;
    const path = join(dir, `flip-${fraction}.json`);
    writeFileSync(path, bytes);
    const result = vcb(['audit', 'verify-bundle', path, '--json']);
    expect(result.status).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, reason: expect.stringMatching(/^(malformed|signature|wrong-key|origin|leaf-altered|inclusion|foreign-entry|order|incomplete)$/) });
  });

  it('says incomplete when an entry is dropped', () => {
    const bundle = JSON.parse(bundleText) as { entries: unknown[] };
    bundle.entries.splice(2, 1);
    expect(verifyBundle(`${JSON.stringify(bundle, null, 2)}\n`)).toMatchObject({ status: 1, result: { ok: false, reason: 'incomplete' } });
  });

  it('says wrong-key when presented with another key, given as text or as a .pub file', () => {
    const made = vcb(['audit', 'keygen', '--name', 'police.example/other', '--out', join(dir, 'other'), '--json']);
    expect(made.status).toBe(0);
    const other = json(made) as { verifierKey: string; verifierKeyFile: string };
    expect(verifyBundle(bundleText, '--key', other.verifierKey)).toMatchObject({ status: 1, result: { reason: 'wrong-key' } });
    const text = vcb(['audit', 'verify-bundle', bundlePath, '--key', other.verifierKeyFile]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^INVALID: wrong-key: /);
  });
});

describe('a checkpoint kept outside the database', () => {
  const saved = join(dir, 'saved.txt');
  beforeAll(() => {
    expect(vcb(['audit', 'checkpoint', '--db', db, '--out', saved]).status).toBe(0);
  });

  it('prints the latest checkpoint as a signed note, and saves the same', () => {
    const printed = vcb(['audit', 'checkpoint', '--db', db]);
    expect(printed.status).toBe(0);
    expect(`${printed.stdout}`).toBe(readFileSync(saved, 'utf8'));
    expect(printed.stdout).toMatch(/^sandbox\.vcb\.invalid\/demo\n\d+\n[A-Za-z0-9+/]{43}=\n\n— sandbox\.vcb\.invalid\/demo [A-Za-z0-9+/]+=*\n$/);
  });

  it('confirms an intact log, however it has grown since', () => {
    const result = vcb(['audit', 'verify', '--db', db, '--checkpoint', saved, '--key', verifierKey, '--json']);
    expect(result.status).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, checkpoint: { size: expect.any(Number) }, checkpoints: { count: expect.any(Number), verifierKeys: [verifierKey] } });
    expect(vcb(['audit', 'verify', '--db', db]).stdout).toMatch(new RegExp(`^OK: \\d+ entries, root [0-9a-f]{64}; the signed checkpoint in the log agrees \\(signed by ${verifierKey.replace(/[+/.]/g, '\\$&')}\\)\\n$`));
  });

  it('says truncated for a database cut below the checkpoint', () => {
    const size = Number(readFileSync(saved, 'utf8').split('\n')[1]);
    const copy = copyOf('truncated');
    truncateLog(copy, size - 3);
    expect(vcb(['audit', 'verify', '--db', copy, '--json']).status).toBe(0);
    const result = vcb(['audit', 'verify', '--db', copy, '--checkpoint', saved, '--key', verifierKey, '--json']);
    expect(result.status).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, reason: 'truncated', checkpoint: { size } });
  });

  it('catches an outcome rewritten with every hash recomputed, with no saved checkpoint: the log’s own checkpoints contradict it', () => {
    const copy = copyOf('rewritten');
    const outcome = outcomeIndex(copy);
    rewriteHistory(copy, outcome, (data) => ({ ...data, outcome: 'not-verified' }));
    const result = vcb(['audit', 'verify', '--db', copy, '--json']);
    expect(result.status).toBe(1);
    const found = json(result) as { reason: string; firstBadIndex: number; checkpointIndex: number; detail: string };
    expect(found).toMatchObject({ ok: false, reason: 'checkpoint-root', detail: expect.stringMatching(/rewritten/) });
    expect(found.firstBadIndex).toBeLessThanOrEqual(outcome);
    expect(found.checkpointIndex).toBeGreaterThan(outcome);
    expect(vcb(['audit', 'verify', '--db', copy]).stdout).toMatch(/^AUDIT_TAMPERED: entry \d+ checkpoint-root: /);
  });

  it('refuses to export from a log whose outcome was edited, or rewritten with every hash recomputed, and writes no bundle', () => {
    const edited = copyOf('export-edited');
    const database = new Database(edited);
    database.prepare("UPDATE audit_entries SET data = json_set(data, '$.outcome', 'not-verified') WHERE idx = ?").run(outcomeIndex(edited));
    database.close();
    const rewritten = copyOf('export-rewritten');
    rewriteHistory(rewritten, outcomeIndex(rewritten), (data) => ({ ...data, outcome: 'not-verified' }));
    for (const [copy, why] of [[edited, /entry \d+ no longer matches the checkpoint signed over it/], [rewritten, /does not match its checkpoint .*history was rewritten/]] as const) {
      const out = join(dir, `refused-${Math.random().toString(36).slice(2)}.json`);
      const result = vcb(['audit', 'export', '--db', copy, '--verification', verificationId, '--out', out]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^vcb: AUDIT_TAMPERED: /);
      expect(result.stderr).toMatch(why);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('says checkpoint-signature when the rewrite also restates the logged checkpoints without the key', () => {
    const copy = copyOf('forged-checkpoints');
    rewriteHistory(copy, outcomeIndex(copy), (data) => ({ ...data, outcome: 'not-verified' }), {});
    const result = vcb(['audit', 'verify', '--db', copy, '--json']);
    expect(result.status).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, reason: 'checkpoint-signature' });
  });

  it('names the forger’s key when a rewrite re-signs every logged checkpoint, and the saved checkpoint says inconsistent', () => {
    const copy = copyOf('resigned');
    const forger = parseSigningKey(generateSigningKey('sandbox.vcb.invalid/demo').signingKey);
    rewriteHistory(copy, outcomeIndex(copy), (data) => ({ ...data, outcome: 'not-verified' }), { signWith: forger });
    const alone = vcb(['audit', 'verify', '--db', copy, '--json']);
    expect(alone.status).toBe(0);
    expect(json(alone)).toMatchObject({ ok: true, checkpoints: { verifierKeys: [forger.verifierKey] } });
    expect(vcb(['audit', 'verify', '--db', copy]).stdout).toContain(`signed by ${forger.verifierKey}`);
    const result = vcb(['audit', 'verify', '--db', copy, '--checkpoint', saved, '--key', verifierKey, '--json']);
    expect(result.status).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, reason: 'inconsistent', detail: expect.stringMatching(/rewritten/) });
    const text = vcb(['audit', 'verify', '--db', copy, '--checkpoint', saved, '--key', verifierKey]);
    expect(text.stdout).toMatch(/^AUDIT_TAMPERED: inconsistent: /);
  });

  it('finds a saved checkpoint that does not open with the key tampered (exit 1 with a reason), not a usage error', () => {
    const other = json(vcb(['audit', 'keygen', '--name', 'police.example/third', '--out', join(dir, 'third'), '--json'])) as { verifierKey: string };
    const lines = readFileSync(saved, 'utf8').split('\n');
    const edited = join(dir, 'saved-edited.txt');
    writeFileSync(edited, [lines[0], String(Number(lines[1]) + 1), ...lines.slice(2)].join('\n'));
    const garbage = join(dir, 'saved-garbage.txt');
    writeFileSync(garbage, 'not a checkpoint\n');
    for (const [file, key, reason] of [
      [saved, other.verifierKey, 'wrong-key'],
      [edited, verifierKey, 'signature'],
      [garbage, verifierKey, 'malformed'],
    ] as const) {
      const result = vcb(['audit', 'verify', '--db', db, '--checkpoint', file, '--key', key, '--json']);
      expect([file, result.status, result.stderr]).toEqual([file, 1, '']);
      expect(json(result)).toMatchObject({ ok: false, reason, detail: expect.stringMatching(/does not open with that key/), checkpoint: { file } });
    }
    const text = vcb(['audit', 'verify', '--db', db, '--checkpoint', edited, '--key', verifierKey]);
    expect(text.stdout).toMatch(/^AUDIT_TAMPERED: signature: the checkpoint in .* does not open with that key/);
    const missing = vcb(['audit', 'verify', '--db', db, '--checkpoint', join(dir, 'no-such.txt'), '--key', verifierKey]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^vcb: NOT_FOUND: /);
  });
});

describe('keys', () => {
  it('keygen writes a 0600 secret and a public file, and prints only the verifier key', () => {
    const result = vcb(['audit', 'keygen', '--name', 'police.example/vcb', '--out', join(dir, 'force')]);
    expect(result.status).toBe(0);
    const secret = readFileSync(join(dir, 'force.key'), 'utf8');
    const published = readFileSync(join(dir, 'force.pub'), 'utf8').trim();
    expect(secret).toMatch(/^PRIVATE\+KEY\+police\.example\/vcb\+[0-9a-f]{8}\+/);
    expect(statSync(join(dir, 'force.key')).mode & 0o777).toBe(0o600);
    expect(result.stdout.split('\n')[0]).toBe(published);
    expect(result.stdout + result.stderr).not.toContain(seedOf(secret));
    const again = vcb(['audit', 'keygen', '--name', 'police.example/vcb', '--out', join(dir, 'force')]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('signs a fresh checkpoint with a key from a file or the environment, never printing the secret', () => {
    vcb(['audit', 'keygen', '--name', 'police.example/signer', '--out', join(dir, 'signer')]);
    const secret = readFileSync(join(dir, 'signer.key'), 'utf8').trim();
    const copy = copyOf('signed');
    const fromFile = vcb(['audit', 'checkpoint', '--db', copy, '--sign', '--signing-key', join(dir, 'signer.key'), '--json']);
    expect(fromFile.status).toBe(0);
    expect(json(fromFile)).toMatchObject({ origin: 'police.example/signer', verifierKey: readFileSync(join(dir, 'signer.pub'), 'utf8').trim() });
    const fromEnv = vcb(['audit', 'checkpoint', '--db', copy, '--sign', '--json'], { VCB_CHECKPOINT_KEY: secret });
    expect(fromEnv.status).toBe(0);
    expect((json(fromEnv) as { size: number }).size).toBe((json(fromFile) as { size: number }).size + 1);
    for (const output of [fromFile, fromEnv]) expect(output.stdout + output.stderr).not.toContain(seedOf(secret));
  });

  it('refuses a malformed key file without repeating it', () => {
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'PRIVATE+KEY+x+00000000+c2VjcmV0LXNlY3JldC1zZWNyZXQ=\n');
    const result = vcb(['audit', 'checkpoint', '--db', copyOf('bad-key'), '--sign', '--signing-key', bad]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^vcb: INVALID_CONFIG: /);
    expect(result.stderr).not.toContain('c2VjcmV0');
  });
});

describe('vcb audit evidence usage', () => {
  it.each([
    [['audit', 'checkpoint', '--help']],
    [['audit', 'export', '--help']],
    [['audit', 'verify-bundle', '--help']],
    [['audit', 'keygen', '-h']],
  ])('prints help for %j', (args) => {
    const result = vcb(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: vcb audit/);
  });

  it.each([
    [['audit', 'verify-bundle'], 'INVALID_INPUT'],
    [['audit', 'verify-bundle', 'missing.json'], 'NOT_FOUND'],
    [['audit', 'verify-bundle', 'a.json', 'b.json'], 'INVALID_INPUT'],
    [['audit', 'verify-bundle', 'bundle.json', '--key', 'not-a-key'], 'INVALID_INPUT'],
    [['audit', 'verify', '--db', 'x.db', '--checkpoint', 'saved.txt'], 'INVALID_INPUT'],
    [['audit', 'export', '--db', 'x.db', '--verification', 'vrf_unknown', '--out', 'nope.json'], 'NOT_FOUND'],
    [['audit', 'export', '--db', 'x.db', '--verification', 'v', '--out', 'bundle.json'], 'INVALID_INPUT'],
    [['audit', 'export', '--db', 'x.db', '--verification', 'v', '--out', 'n.json', '--disclose', 'email=a@b'], 'INVALID_INPUT'],
    [['audit', 'checkpoint', '--db', 'x.db', '--sign'], 'INVALID_CONFIG'],
    [['audit', 'keygen', '--name', 'has space', '--out', 'k'], 'INVALID_CONFIG'],
  ])('fails %j with one line and a stable code', (args, code) => {
    const result = vcb(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^vcb: ${code}: [^\\n]+\\n$`));
  });

  it('refuses to disclose without the keys, and leaves no export record or file behind', () => {
    const before = json(vcb(['audit', 'verify', '--db', db, '--json'])).entries as number;
    const out = join(dir, 'disclosed.json');
    const result = vcb(['audit', 'export', '--db', db, '--verification', verificationId, '--out', out, '--disclose', 'phone=+447911123456']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^vcb: INVALID_CONFIG: --disclose needs VCB_PERSONAL_DATA_KEY/);
    expect(existsSync(out)).toBe(false);
    expect(json(vcb(['audit', 'verify', '--db', db, '--json'])).entries).toBe(before + 1);
  });
});
