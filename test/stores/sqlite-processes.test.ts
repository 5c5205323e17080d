import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toHex, type BridgeStore, type DeviceLease } from '../../src/index.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { expectOneChangePerVersion, expectOneOpenPerReference } from './call-race.js';
import { runJsonChild } from '../support/json-child.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const builtStore = new URL('../../dist/stores/sqlite.js', import.meta.url);

// Plain Node, no TypeScript: the child loads the built package.
const CHILD = String.raw`
const [storeUrl, filename, mode, id, count, startAtMs] = process.argv.slice(2);
const { default: sqliteStore } = await import(storeUrl);
const store = sqliteStore({ filename, busyTimeoutMs: 30000 });
const wait = Number(startAtMs) - Date.now();
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
const result = { id };
if (mode === 'append') {
  result.indexes = [];
  for (let n = 0; n < Number(count); n += 1) {
    const entry = await store.append(
      { type: 'process.append', source: 'sdk', actor: 'process-' + id, data: { process: Number(id), n } },
      Date.now(),
    );
    result.indexes.push(entry.index);
  }
} else if (mode === 'lease') {
  result.lease = await store.acquireLease({ deviceId: 'ops-device', holder: 'holder-' + id, ttlMs: 60000, nowMs: Date.now() });
} else {
  throw new Error('unknown mode ' + mode);
}
await store.close();
process.stdout.write(JSON.stringify(result));
`;

interface ChildResult {
  id: string;
  indexes?: number[];
  lease?: DeviceLease | null;
}

let dir: string;
let file: string;
let script: string;
const stores: BridgeStore[] = [];

function runChild(args: string[]): Promise<ChildResult> {
  return runJsonChild<ChildResult>([script, builtStore.href, file, ...args]);
}

function openStore(): BridgeStore {
  const store = sqliteStore({ filename: file });
  stores.push(store);
  return store;
}

beforeAll(() => {
  if (!fs.existsSync(fileURLToPath(builtStore))) {
    execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore', timeout: 120_000 });
  }
  expect(fs.existsSync(fileURLToPath(builtStore))).toBe(true);
}, 130_000);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcb-'));
  file = path.join(dir, 'bridge.db');
  script = path.join(dir, 'child.mjs');
  fs.writeFileSync(script, CHILD);
  // Create the file (WAL mode, schema) before the children race on it.
  await openStore().close();
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store shared by several processes', () => {
  it('keeps one log when 4 processes append 50 entries each at once', async () => {
    const startAtMs = Date.now() + 300;
    const results = await Promise.all(
      [0, 1, 2, 3].map((id) => runChild(['append', String(id), '50', String(startAtMs)])),
    );
    const reported = results.flatMap((r) => r.indexes ?? []).sort((a, b) => a - b);
    expect(reported).toEqual(Array.from({ length: 200 }, (_, i) => i));

    const store = openStore();
    const entries = await store.readEntries();
    expect(entries.map((e) => e.index)).toEqual(reported);
    const pairs = new Set(entries.map((e) => `${String(e.data.process)}:${String(e.data.n)}`));
    expect(pairs.size).toBe(200);
    // Each process's own entries are in the order it wrote them.
    for (const id of [0, 1, 2, 3]) {
      expect(entries.filter((e) => e.data.process === id).map((e) => e.data.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    }
    const ats = entries.map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
    const head = await store.head();
    expect(head.size).toBe(200);
    expect(await store.verify()).toEqual({ ok: true, entries: 200, root: toHex(head.root) });
  });

  it('gives a device to exactly one of 6 processes racing for it', async () => {
    const startAtMs = Date.now() + 300;
    const results = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((id) => runChild(['lease', String(id), '0', String(startAtMs)])),
    );
    expect(results).toHaveLength(6);
    const winners = results.filter((r) => r.lease !== null && r.lease !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(winner.lease).toMatchObject({ deviceId: 'ops-device', holder: `holder-${winner.id}`, epoch: 1 });
    expect(results.filter((r) => r.lease === null)).toHaveLength(5);

    const current = await openStore().currentLease('ops-device', winner.lease!.expiresAtMs - 1);
    expect(current).toEqual(winner.lease);
  });

  it('lets exactly one of 4 processes change the call at each version', async () => {
    await expectOneChangePerVersion(openStore(), { kind: 'sqlite', storeUrl: builtStore.href, target: file }, 4, 25);
  });

  it('gives a reference to exactly one of 6 processes opening a call with it at once', async () => {
    await expectOneOpenPerReference(openStore(), { kind: 'sqlite', storeUrl: builtStore.href, target: file }, 6);
  });
});
