import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROVIDERS } from '../src/cli/demo/providers.js';
import sqliteStore from '../src/stores/sqlite.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vcb-cli-'));
const db = join(dir, 'x.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function vcb(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'dist/cli/index.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function verifyJson(path = db) {
  const result = vcb('audit', 'verify', '--db', path, '--json');
  return { status: result.status, json: JSON.parse(result.stdout) as Record<string, unknown> };
}

/** Runs SQL on a copy of the demo log, the way someone with a SQLite shell would edit it. */
function tamperedCopy(name: string, sql: string): string {
  const copy = join(dir, `${name}.db`);
  const source = new Database(db);
  source.exec(`VACUUM INTO '${copy}'`);
  source.close();
  const target = new Database(copy);
  target.exec(sql);
  target.close();
  return copy;
}

describe('vcb audit erase', () => {
  it('erases personal data whose retention ended, logs the erasure by its actor, and leaves the log verifiable', async () => {
    const path = join(dir, 'erase.db');
    const store = sqliteStore({ filename: path });
    const hash = `hmac-sha256:${'ab'.repeat(32)}`;
    await store.append({ type: 'test.event', source: 'sdk', data: { citizenPhoneNumberHash: hash } }, Date.now());
    await store.putPersonalData({ hash, kind: 'phone', value: '+447911123456', retainUntilMs: Date.now() - 1000 });
    await store.close();
    const erased = vcb('audit', 'erase', '--db', path, '--actor', 'dpo:jsmith', '--json');
    expect(erased.status).toBe(0);
    expect(JSON.parse(erased.stdout)).toEqual({ erased: 1 });
    expect(JSON.parse(vcb('audit', 'erase', '--db', path, '--json').stdout)).toEqual({ erased: 0 });
    const shown = JSON.parse(vcb('audit', 'show', '--db', path, '--json').stdout) as { type: string; actor?: string; data: Record<string, unknown> }[];
    expect(shown.find((e) => e.type === 'personal-data.erased')).toMatchObject({ actor: 'dpo:jsmith', data: { erased: [{ hash, kind: 'phone' }] } });
    expect(verifyJson(path).json.ok).toBe(true);
  });
});

describe('vcb reference', () => {
  it('shows the ops console a reference once, then refuses it, logging every lookup', () => {
    const path = join(dir, 'reference.db');
    const demo = JSON.parse(vcb('demo', '--db', path, '--json').stdout) as { reference: string; verificationId: string };
    const found = vcb('reference', demo.reference.toLowerCase(), '--db', path, '--actor', 'console:sgt1', '--json');
    expect(found.status).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ outcome: 'found', verificationId: demo.verificationId, officer: { collarNumber: '4721AB' }, officerCheck: { status: 'on-duty' } });
    const again = vcb('reference', demo.reference, '--db', path);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/ALREADY-USED/);
    expect(vcb('reference', 'ZZZ-ZZZ', '--db', path).stdout).toMatch(/UNKNOWN/);
    expect(vcb('reference', 'nope', '--db', path)).toMatchObject({ status: 2, stderr: expect.stringMatching(/^vcb: INVALID_INPUT/) });
    const shown = JSON.parse(vcb('audit', 'show', '--db', path, '--json').stdout) as { type: string; actor?: string; data: { outcome?: string } }[];
    expect(shown.filter((e) => e.type === 'reference.looked-up').map((e) => [e.actor, e.data.outcome])).toEqual([
      ['console:sgt1', 'found'],
      [expect.stringMatching(/^cli:/), 'already-used'],
      [expect.stringMatching(/^cli:/), 'unknown'],
    ]);
  });
});

describe('vcb demo', () => {
  beforeAll(() => {
    const demo = vcb('demo', '--db', db);
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
  });

  it.each(Object.keys(DEMO_PROVIDERS))('runs a sandbox verification on %s through every state and says SANDBOX', (provider) => {
    const result = vcb('demo', '--provider', provider, '--db', join(dir, `${provider}.db`), '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { sandbox: boolean; state: string; verify: { ok: boolean }; timeline: { data: Record<string, unknown>; source: string }[] };
    expect(output).toMatchObject({ sandbox: true, provider, state: 'ended', verify: { ok: true } });
    const states = output.timeline.flatMap((e) => (e.data.transition ? [(e.data.transition as { to: string }).to] : []));
    expect(states).toEqual(['requested', 'routed', 'created', 'ringing', 'connected', 'ended']);
    expect(output.timeline.every((e) => e.data.sandbox === true)).toBe(true);
    // Providers with no live events (FaceTime) have only the SDK's and the supervisor's entries.
    const sources = new Set(output.timeline.map((e) => e.source));
    expect(sources).toContain('sdk');
    expect(sources).toContain('operator');
    expect([...sources].every((source) => ['sdk', 'provider', 'operator'].includes(source))).toBe(true);
    expect(vcb('audit', 'verify', '--db', join(dir, `${provider}.db`)).status).toBe(0);
  });

  it('says SANDBOX first, and refuses a provider it cannot simulate', () => {
    expect(vcb('demo').stdout).toMatch(/^SANDBOX/);
    const refused = vcb('demo', '--provider', 'myspace');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^vcb: INVALID_INPUT: .*myspace/);
  });

  it('labels every entry the sandbox bridge wrote, its own log check included', () => {
    const shown = JSON.parse(vcb('audit', 'show', '--db', db, '--json', '--actor', 'test').stdout) as { type: string; actor?: string; data: Record<string, unknown> }[];
    const byDemo = shown.filter((e) => e.actor !== 'test');
    expect(byDemo.map((e) => e.type)).toContain('audit.verified');
    expect(byDemo.every((e) => e.data.sandbox === true)).toBe(true);
  });

  it('leaves a log that `vcb audit verify` reports intact', () => {
    const { status, json } = verifyJson();
    expect(status).toBe(0);
    expect(json).toMatchObject({ ok: true });
    expect(json.entries).toBeGreaterThanOrEqual(11);
    expect(json.root).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['data edited', 'altered', 5, "UPDATE audit_entries SET data = json_set(data, '$.participant.role', 'ops-device') WHERE idx = 5"],
    ['time edited', 'altered', 3, "UPDATE audit_entries SET at = '2020-01-01T00:00:00.000Z' WHERE idx = 3"],
    ['source edited', 'altered', 6, "UPDATE audit_entries SET source = 'provider' WHERE idx = 6"],
    ['tree root edited', 'altered', 8, "UPDATE audit_entries SET tree_root = zeroblob(32) WHERE idx = 8"],
    ['row deleted', 'removed', 4, 'DELETE FROM audit_entries WHERE idx = 4'],
    ['rows swapped', 'reordered', 2, 'UPDATE audit_entries SET idx = -1 WHERE idx = 2; UPDATE audit_entries SET idx = 2 WHERE idx = 7; UPDATE audit_entries SET idx = 7 WHERE idx = -1'],
  ])('exits 1 and names the index when a row is %s', (name, reason, index, sql) => {
    const { status, json } = verifyJson(tamperedCopy(name.replace(/\s/g, '-'), sql));
    expect(status).toBe(1);
    expect(json).toMatchObject({ ok: false, firstBadIndex: index, reason });
  });

  it('shows the log, and logs that it was shown and to whom', () => {
    const before = verifyJson().json.entries as number;
    const shown = vcb('audit', 'show', '--db', db, '--json', '--actor', 'psd:inspector-7');
    expect(shown.status).toBe(0);
    const entries = JSON.parse(shown.stdout) as { type: string; actor?: string }[];
    expect(entries.at(-1)).toMatchObject({ type: 'audit.read', actor: 'psd:inspector-7' });
    expect(entries.length).toBe(before + 2);
    const text = vcb('audit', 'show', '--db', db);
    expect(text.stdout).toMatch(/#0 +\d{4}-\d\d-\d\dT[\d:.]+Z +sdk +verification\.created/);
    expect(text.stdout).toContain('[SANDBOX]');
  });
});

describe('vcb usage', () => {
  it.each([[['--help']], [['demo', '--help']], [['audit', '--help']], [['audit', 'verify', '--help']], [['audit', 'show', '-h']]])(
    'prints help for %j',
    (args) => {
      const result = vcb(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/Usage: vcb/);
    },
  );

  it.each([
    [['frobnicate'], 'INVALID_INPUT'],
    [['audit', 'verify'], 'INVALID_INPUT'],
    [['audit', 'verify', '--db', 'x.db', '--bogus'], 'INVALID_INPUT'],
    [['audit', 'verify', '--db', 'no-such.db'], 'NOT_FOUND'],
  ])('fails %j with one line and a stable code', (args, code) => {
    const result = vcb(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^vcb: ${code}: .+\\n$`));
    expect(result.stderr.split('\n')).toHaveLength(2);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
