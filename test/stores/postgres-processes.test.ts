import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toHex, type BridgeStore } from '../../src/index.js';
import postgresStore from '../../src/stores/postgres.js';
import { expectOneChangePerVersion, expectOneOpenPerReference } from './call-race.js';
import { describePostgres, dropSchema, uniqueSchema } from './postgres-fixture.js';
import { runJsonChild } from '../support/json-child.js';

const builtStore = new URL('../../dist/stores/postgres.js', import.meta.url);
const childScript = fileURLToPath(new URL('./postgres-processes-child.mjs', import.meta.url));
const PROCESSES = 4;
const RUN_MS = 3_000;

/** What one child reports: every acknowledged append, lease grant, release and fenced write. */
interface ChildReport {
  id: number;
  appends: { index: number; n: number }[];
  grants: { holder: string; epoch: number; expiresAtMs: number; ttlMs: number }[];
  releases: { holder: string; epoch: number; released: boolean }[];
  fencedWrites: { epoch: number; accepted: boolean }[];
}

function runChild(args: string[]): Promise<ChildReport> {
  return runJsonChild<ChildReport>([childScript, builtStore.href, ...args]);
}

describePostgres('postgres store shared by four processes', (url) => {
  const schema = uniqueSchema('processes');
  let store: BridgeStore;
  let reports: ChildReport[];

  beforeAll(async () => {
    expect(fs.existsSync(fileURLToPath(builtStore)), 'the global setup builds dist/').toBe(true);
    store = postgresStore({ connectionString: url, schema, maxConnections: 2 });
    await store.head(); // create the tables before the children race
    const startAtMs = Date.now() + 1_000;
    reports = await Promise.all(
      Array.from({ length: PROCESSES }, (_, id) => runChild([url, schema, String(id), String(RUN_MS), String(startAtMs)])),
    );
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
  });

  it('builds one verifiable tree holding every acknowledged append exactly once, each process’s in its order', async () => {
    const entries = await store.readEntries();
    const head = await store.head();
    expect(await store.verify()).toEqual({ ok: true, entries: entries.length, root: toHex(head.root) });
    const acknowledged = reports.flatMap((r) => r.appends.map((a) => ({ ...a, process: r.id })));
    expect(acknowledged.map((a) => a.index).sort((x, y) => x - y)).toEqual(entries.map((_, i) => i));
    for (const { index, n, process } of acknowledged) expect(entries[index]!.data).toMatchObject({ process, n });
    for (const report of reports) {
      const inLog = entries.filter((e) => e.data.process === report.id).map((e) => e.data.n);
      expect(inLog).toEqual(report.appends.map((a) => a.n));
      expect(inLog.length, `process ${report.id} appended`).toBeGreaterThan(10);
    }
    const ats = entries.map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
  });

  it('never lets two holders have the device at once', () => {
    const grants = reports.flatMap((r) => r.grants.map((g) => ({ ...g, process: r.id })));
    const epochs = [...new Set(grants.map((g) => g.epoch))].sort((a, b) => a - b);
    // Every grant raised the epoch by one, and one holder had each epoch.
    expect(epochs).toEqual(epochs.map((_, i) => i + 1));
    const holds = epochs.map((epoch) => {
      const records = grants.filter((g) => g.epoch === epoch);
      expect(new Set(records.map((g) => `${g.process}/${g.holder}`)).size, `holders of epoch ${epoch}`).toBe(1);
      return {
        epoch,
        process: records[0]!.process,
        grantedAtMs: Math.min(...records.map((g) => g.expiresAtMs - g.ttlMs)),
        expiresAtMs: Math.max(...records.map((g) => g.expiresAtMs)),
        released: reports.some((r) => r.releases.some((x) => x.epoch === epoch && x.released)),
      };
    });
    let takeoversAfterLapse = 0;
    for (const [i, next] of holds.entries()) {
      const previous = holds[i - 1];
      if (previous === undefined) continue;
      // Both times are on the database's clock: a lease nobody released was taken only once it had lapsed.
      expect(next.grantedAtMs, `epoch ${next.epoch} granted`).toBeGreaterThanOrEqual(previous.released ? previous.grantedAtMs : previous.expiresAtMs);
      if (!previous.released && next.process !== previous.process) takeoversAfterLapse += 1;
    }
    expect(new Set(holds.map((h) => h.process)).size, 'processes that held the device').toBeGreaterThan(1);
    expect(takeoversAfterLapse, 'leases taken over after they lapsed').toBeGreaterThan(0);
  });

  it('logs every fenced write of an epoch before any of the next, and refuses writes of holders taken over', async () => {
    const entries = await store.readEntries();
    const fencedEpochs = entries.filter((e) => e.data.kind === 'fenced').map((e) => e.data.epoch as number);
    expect(fencedEpochs).toEqual([...fencedEpochs].sort((a, b) => a - b));
    const writes = reports.flatMap((r) => r.fencedWrites);
    expect(fencedEpochs).toHaveLength(writes.filter((w) => w.accepted).length);
    const refused = writes.filter((w) => !w.accepted);
    const lastEpoch = Math.max(...reports.flatMap((r) => r.grants.map((g) => g.epoch)));
    for (const write of refused) expect(write.epoch, 'a refused write had a successor').toBeLessThan(lastEpoch);
    expect(refused.length, 'writes refused as LEASE_LOST').toBeGreaterThan(0);
  });
});

describePostgres('postgres call rows shared by several processes', (url) => {
  const schemas: string[] = [];
  const stores: BridgeStore[] = [];
  const raceOn = async () => {
    const schema = uniqueSchema('calls');
    schemas.push(schema);
    const store = postgresStore({ connectionString: url, schema, maxConnections: 2 });
    stores.push(store);
    await store.head(); // create the tables before the children race
    return { store, target: { kind: 'postgres' as const, storeUrl: builtStore.href, target: url, schema } };
  };

  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const schema of schemas) await dropSchema(schema);
  });

  it('lets exactly one of 4 processes change the call at each version', async () => {
    const { store, target } = await raceOn();
    await expectOneChangePerVersion(store, target, 4, 25);
  }, 60_000);

  it('gives a reference to exactly one of 6 processes opening a call with it at once', async () => {
    const { store, target } = await raceOn();
    await expectOneOpenPerReference(store, target, 6);
  }, 60_000);
});
