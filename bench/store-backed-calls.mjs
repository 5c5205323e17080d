// What a call held in the store costs over the log entries it writes anyway. Each verification here is
// what a real one does: start (open, route, create), two webhooks that move it to connected, an outcome
// and an end, through a bridge on SQLite with an in-process adapter (no HTTP, so only our own work is
// timed). The baseline does the durable work the earlier in-memory calls did: the same entries, one
// commit each, and each call's device lease taken and released, with no call rows, lookups or fences.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CALL_ADAPTER_SPECIFICATION_VERSION, createBridge } from '../dist/index.js';
import sqliteStore from '../dist/stores/sqlite.js';

/** The supervisor who records each bench call's outcome. */
export const SUPERVISOR = { collarNumber: 'SGT1', name: 'Sgt One' };
/** What each bench verification starts with: a citizen on an Android browser. */
export const START = {
  officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Test', force: 'Test Constabulary' },
  reason: 'Checking on a report of a person in distress',
  flow: 'citizen-device',
  citizen: { platform: 'android', browser: true },
};

/** A provider with no network: its webhooks are unsigned JSON, so the bench times the bridge, not crypto or sockets. */
export function inProcessAdapter() {
  let n = 0;
  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: 'daily',
    capabilities: { platforms: ['android', 'ios', 'desktop'], access: 'browser', flows: ['citizen-device'], lifecycle: 'webhook', recording: false },
    async createCall(request) {
      n += 1;
      return { providerCallId: `room-${n}`, opsDevice: { url: `https://bench.invalid/${n}` }, otherSide: { url: `https://bench.invalid/${n}` } };
    },
    async endCall() {},
    async verifyWebhook(request) {
      return { kind: 'events', events: [JSON.parse(Buffer.from(request.rawBody).toString('utf8'))] };
    },
    async health() {
      return { ok: true };
    },
  };
}

/** The webhook saying `role` joined call `providerCallId`, with event id `n`. */
export function webhook(providerCallId, role, n) {
  const event = { type: 'participant.joined', providerType: 'participant.joined', providerCallId, providerEventId: `evt-${n}`, participant: { role } };
  return { method: 'POST', url: '/webhooks/daily', headers: {}, rawBody: Buffer.from(JSON.stringify(event)) };
}

/** A bridge on `store` with the in-process adapter and one room whose device it reaches. */
export function benchBridge(store) {
  return createBridge({
    store,
    adapters: [inProcessAdapter()],
    rooms: [{ id: 'room-a', name: 'Room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { daily: 'room-a-device' } } }],
    personalDataKey: randomBytes(32),
  });
}

/** Verification `i` from start to end: two webhooks connect it, then an outcome and the end. Returns each stage's ms. */
export async function oneVerification(bridge, i) {
  let started = performance.now();
  const call = await bridge.startVerification(START);
  const start = performance.now() - started;
  started = performance.now();
  await bridge.handleWebhook('daily', webhook(call.providerCallId, 'ops-device', 2 * i));
  await bridge.handleWebhook('daily', webhook(call.providerCallId, 'other-side', 2 * i + 1));
  const webhooks = performance.now() - started;
  started = performance.now();
  await call.recordOutcome({ outcome: 'verified', supervisor: SUPERVISOR });
  await call.end();
  return { start, webhooks, finish: performance.now() - started };
}

async function bridgeRun(path, count) {
  const store = sqliteStore({ filename: path });
  const bridge = benchBridge(store);
  const timing = { start: 0, webhooks: 0, finish: 0 };
  for (let i = 0; i < count; i += 1) {
    const took = await oneVerification(bridge, i);
    for (const stage of Object.keys(timing)) timing[stage] += took[stage];
  }
  const entries = await store.readEntries();
  await bridge.close();
  await store.close();
  return { timing, entries };
}

async function baselineRun(path, entries) {
  const store = sqliteStore({ filename: path });
  const started = performance.now();
  for (const entry of entries) {
    const { index: _index, at: _at, ...input } = entry;
    if (entry.type === 'verification.created') await store.acquireLease({ deviceId: 'room-a-device', holder: entry.verificationId, ttlMs: 30_000, nowMs: Date.now() });
    await store.append(input, Date.now());
    if (entry.type === 'call.ended') await store.releaseLease('room-a-device', entry.verificationId);
  }
  const ms = performance.now() - started;
  await store.close();
  return ms;
}

/** Times `count` verifications through the bridge against appending their entries alone; returns both and the breakdown. */
export async function storeBackedCalls(dir, count) {
  // A first small round of each warms the JIT, so neither side pays for compiling the other's code.
  await baselineRun(join(dir, `warm-baseline-${count}.db`), (await bridgeRun(join(dir, `warm-${count}.db`), 10)).entries);
  const ours = await bridgeRun(join(dir, `calls-${count}.db`), count);
  const baseline = await baselineRun(join(dir, `calls-baseline-${count}.db`), ours.entries);
  const total = ours.timing.start + ours.timing.webhooks + ours.timing.finish;
  return { total, baseline, timing: ours.timing, entries: ours.entries.length };
}
