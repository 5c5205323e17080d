import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { BridgeStore } from '../../src/index.js';
import { runJsonChild } from '../support/json-child.js';

const childScript = fileURLToPath(new URL('./call-race-child.mjs', import.meta.url));

/** Where the racing processes find the store: the built module, and its database. */
export interface RaceTarget {
  kind: 'sqlite' | 'postgres';
  /** URL of the built store module, e.g. dist/stores/sqlite.js. */
  storeUrl: string;
  /** A SQLite file, or a PostgreSQL connection string. */
  target: string;
  schema?: string;
}

interface ChildReport {
  id: number;
  changes: { expected: number; index: number | null }[];
  opened: number | null;
}

function runChild(race: RaceTarget, args: string[]): Promise<ChildReport> {
  const argv = [childScript, race.storeUrl, race.kind, race.target, race.schema ?? '', ...args];
  return runJsonChild<ChildReport>(argv);
}

function race(target: RaceTarget, mode: string, processes: number, attempts: number): Promise<ChildReport[]> {
  // Children load Node and the package first; the start line is far enough off that they all reach it.
  const startAtMs = Date.now() + 1_500;
  return Promise.all(Array.from({ length: processes }, (_, id) => runChild(target, [mode, String(id), String(attempts), String(startAtMs)])));
}

/**
 * Opens one call, has `processes` processes change it `attempts` times each at the version they read, and
 * checks that exactly one change went through per version: the winners form one chain from the opening entry.
 */
export async function expectOneChangePerVersion(store: BridgeStore, target: RaceTarget, processes: number, attempts: number): Promise<void> {
  const set = { reference: 'REF-CAS', referenceExpiresAtMs: Date.now() + 600_000, state: 'requested' as const, expiresAtMs: Date.now() + 600_000, owner: 'parent' };
  const opened = await store.append({ verificationId: 'ver-race', type: 'race.opened', source: 'sdk', data: {} }, Date.now(), { call: { expectedVersion: null, set } });
  const reports = await race(target, 'cas', processes, attempts);
  const changes = reports.flatMap((report) => report.changes.map((change) => ({ ...change, process: report.id })));
  expect(changes).toHaveLength(processes * attempts);
  const wins = changes.filter((change) => change.index !== null).sort((a, b) => a.index! - b.index!);
  for (const version of new Set(changes.map((change) => change.expected))) {
    expect(wins.filter((win) => win.expected === version), `changes accepted at version ${version}`).toHaveLength(1);
  }
  expect(wins.map((win) => win.expected)).toEqual([opened.index, ...wins.slice(0, -1).map((win) => win.index)]);
  expect(wins.length, 'changes refused as CALL_CHANGED').toBeLessThan(changes.length);
  const logged = await store.readEntries({ verificationId: 'ver-race', type: 'race.cas' });
  expect(logged.map((entry) => entry.index)).toEqual(wins.map((win) => win.index));
  const last = wins.at(-1)!;
  expect(await store.findCall({ verificationId: 'ver-race' })).toMatchObject({ version: last.index, owner: `process-${last.process}` });
  expect((await store.verify()).ok).toBe(true);
}

/** Has `processes` processes open a call each with one reference at once, and checks that exactly one did. */
export async function expectOneOpenPerReference(store: BridgeStore, target: RaceTarget, processes: number): Promise<void> {
  const reports = await race(target, 'open', processes, 1);
  const winners = reports.filter((report) => report.opened !== null);
  expect(winners).toHaveLength(1);
  expect(await store.findCall({ reference: 'REF-RACE' })).toMatchObject({ verificationId: `ver-open-${winners[0]!.id}`, version: winners[0]!.opened });
  expect(await store.readEntries({ type: 'race.open' })).toHaveLength(1);
  expect(await store.listLiveCalls()).toHaveLength(1);
}
