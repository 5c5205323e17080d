import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { BridgeError, createBridge, MAX_LEASE_TTL_MS, type BridgeStore } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import postgresStore from '../../src/stores/postgres.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { startDailyFake, startWebhookReceiver } from '../../src/testing/index.js';
import { room, startRequest } from '../support/sandbox.js';
import { adminQuery, describePostgres, dropSchema, uniqueSchema } from './postgres-fixture.js';
import { expectBridgeError } from './store-suite.js';

// A person with a database shell edits a lease row: a lease that lapses in a year, or an epoch put back.
// Such a row must not keep a device busy for ever, nor let an epoch be granted twice.

const NOW = 1_000_000;
const TTL = 30_000;
const YEAR = 365 * 24 * 3_600_000;
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A store and a way to edit its lease rows from outside, as an operator would. */
interface Editable {
  store: BridgeStore;
  editLease(deviceId: string, change: { epoch?: number; expiresAtMs?: number }): Promise<void>;
}

function sqliteEditable(file = tempFile()): Editable {
  const store = sqliteStore({ filename: file });
  closers.push(() => store.close());
  return {
    store,
    async editLease(deviceId, { epoch, expiresAtMs }) {
      const db = new Database(file);
      db.prepare('UPDATE device_leases SET epoch = coalesce(?, epoch), expires_at_ms = coalesce(?, expires_at_ms) WHERE device_id = ?').run(
        epoch ?? null,
        expiresAtMs ?? null,
        deviceId,
      );
      db.close();
    },
  };
}

function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcb-leases-'));
  closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'log.db');
}

function leaseRules(open: () => Editable | Promise<Editable>): void {
  const take = (store: BridgeStore, holder: string, nowMs: number) => store.acquireLease({ deviceId: 'ops-1', holder, ttlMs: TTL, nowMs });

  it('a lease edited to lapse in a year is no lease: reported gone, and replaced under the next epoch, saying what it replaced', async () => {
    const { store, editLease } = await open();
    await take(store, 'ver-a', NOW);
    await editLease('ops-1', { expiresAtMs: NOW + YEAR });
    expect(await store.currentLease('ops-1', NOW + 1)).toBeNull();
    const taken = await take(store, 'ver-b', NOW + 1);
    expect(taken).toEqual({
      deviceId: 'ops-1',
      holder: 'ver-b',
      epoch: 2,
      expiresAtMs: NOW + 1 + TTL,
      replacedCorrupt: { reason: 'expiry-too-far', holder: 'ver-a', epoch: 1, expiresAtMs: NOW + YEAR },
    });
    // What is stored is an ordinary lease: the next holder waits for it as for any other.
    expect(await store.currentLease('ops-1', NOW + 2)).toEqual({ deviceId: 'ops-1', holder: 'ver-b', epoch: 2, expiresAtMs: NOW + 1 + TTL });
    expect(await take(store, 'ver-c', NOW + 2)).toBeNull();
  });

  it('a lease as long as any bridge may ask for still holds its device', async () => {
    const { store, editLease } = await open();
    await take(store, 'ver-a', NOW);
    await editLease('ops-1', { expiresAtMs: NOW + MAX_LEASE_TTL_MS });
    expect(await take(store, 'ver-b', NOW)).toBeNull();
    expect((await store.currentLease('ops-1', NOW))?.holder).toBe('ver-a');
  });

  it('a lease granted for MAX_LEASE_TTL_MS holds its device against a request whose clock reads a little earlier (another server, a queued write)', async () => {
    const { store } = await open();
    await store.acquireLease({ deviceId: 'ops-1', holder: 'job-a', ttlMs: MAX_LEASE_TTL_MS, nowMs: NOW });
    expect(await store.acquireLease({ deviceId: 'ops-1', holder: 'job-b', ttlMs: MAX_LEASE_TTL_MS, nowMs: NOW - 10_000 })).toBeNull();
    expect(await store.currentLease('ops-1', NOW)).toMatchObject({ holder: 'job-a', epoch: 1 });
  });

  it('refuses to grant a lease longer than MAX_LEASE_TTL_MS', async () => {
    const { store } = await open();
    await expectBridgeError(store.acquireLease({ deviceId: 'ops-1', holder: 'ver-a', ttlMs: MAX_LEASE_TTL_MS + 1, nowMs: NOW }), 'INVALID_INPUT');
  });
}

describe('edited leases: SQLite', () => leaseRules(() => sqliteEditable()));

describePostgres('edited leases: PostgreSQL', (url) => {
  leaseRules(async () => {
    const schema = uniqueSchema('leases');
    const store = postgresStore({ connectionString: url, schema, leaseClock: 'caller' });
    closers.push(() => dropSchema(schema), () => store.close());
    return {
      store,
      async editLease(deviceId, { epoch, expiresAtMs }) {
        await adminQuery(
          `UPDATE "${schema}".device_leases SET epoch = coalesce($1, epoch), expires_at_ms = coalesce($2, expires_at_ms) WHERE device_id = $3`,
          [epoch ?? null, expiresAtMs ?? null, deviceId],
        );
      },
    };
  });
});

describe('edited leases through a bridge', () => {
  async function bridgeOn(store: BridgeStore, serverId: string, adoptAfterMs = 30_000) {
    const fake = await startDailyFake();
    const bridge = createBridge({
      store,
      adapters: [daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep: async () => undefined })],
      rooms: [room('room-a')],
      personalDataKey: KEY,
      serverId,
      adoptAfterMs,
    });
    const receiver = await startWebhookReceiver(bridge);
    fake.deliverWebhooksTo(receiver.urlFor('daily'));
    const errors: BridgeError[] = [];
    bridge.on('background-error', (error) => errors.push(error));
    closers.push(() => fake.close(), () => receiver.close(), () => bridge.close());
    return { bridge, fake, errors };
  }
  const KEY = randomBytes(32);
  const DEVICE = 'room-a-device';

  it('a device whose lease was edited to last a year takes the next call, and the log says the lease was replaced', async () => {
    const { store, editLease } = sqliteEditable();
    await store.acquireLease({ deviceId: DEVICE, holder: 'ver-ghost', ttlMs: TTL, nowMs: Date.now() });
    await editLease(DEVICE, { expiresAtMs: Date.now() + YEAR });
    const { bridge, errors } = await bridgeOn(store, 'server-a');
    const call = await bridge.startVerification(startRequest());
    expect(call.state).toBe('created');
    await bridge.idle();
    const [replaced] = await store.readEntries({ type: 'lease.corrupt-replaced' });
    expect(replaced?.data).toMatchObject({ deviceId: DEVICE, reason: 'expiry-too-far', found: { holder: 'ver-ghost', epoch: 1 }, replacedBy: { holder: call.id, epoch: 2 } });
    expect(errors.map((e) => [e.code, BridgeError.isInstance(e)])).toEqual([['AUDIT_TAMPERED', true]]);
    expect((await store.verify()).ok).toBe(true);
  });

  it('an epoch put back below one a call was fenced with is replaced above every epoch seen, so no epoch is granted twice', async () => {
    const { store, editLease } = sqliteEditable();
    const { bridge } = await bridgeOn(store, 'server-a');
    for (let i = 0; i < 2; i += 1) await (await bridge.startVerification(startRequest())).end();
    await editLease(DEVICE, { epoch: 1 });
    const third = await bridge.startVerification(startRequest());
    expect(third.epoch).toBe(3);
    await bridge.idle();
    const [replaced] = await store.readEntries({ type: 'lease.corrupt-replaced' });
    expect(replaced?.data).toMatchObject({ reason: 'epoch-went-back', found: { epoch: 1 }, replacedBy: { epoch: 3 } });
  });

  it('a live call whose dead server left a lease edited to last a year is adopted by another server', async () => {
    const file = tempFile();
    const first = sqliteEditable(file);
    const a = await bridgeOn(first.store, 'server-a', 150);
    const started = await a.bridge.startVerification(startRequest());
    await a.bridge.close(); // its heartbeat stops, as a crash would
    await first.editLease(DEVICE, { expiresAtMs: Date.now() + YEAR });
    const second = sqliteEditable(file);
    await bridgeOn(second.store, 'server-b', 150);
    await until(async () => (await second.store.findCall({ verificationId: started.id }))?.owner === 'server-b');
    expect((await second.store.currentLease(DEVICE, Date.now()))?.epoch).toBe(started.epoch! + 1);
  });

  it('refuses an adoptAfterMs longer than any lease may last', () => {
    expect(() => createBridge({ store: memoryStore(), adapters: [], rooms: [], personalDataKey: KEY, adoptAfterMs: MAX_LEASE_TTL_MS + 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
