import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { createBridge, type Bridge, type BridgeOptions, type BridgeStore } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startDailyFake, startWebhookReceiver, type DailyFake } from '../../src/testing/index.js';
import { room, startRequest } from '../support/sandbox.js';

const SUPERVISOR = { collarNumber: 'SGT1', name: 'Sgt One' };
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Server {
  bridge: Bridge;
  webhookUrl: string;
}

/** Several app servers: one bridge each, on one store and one Daily account. */
async function servers(count: number, options: Partial<BridgeOptions> = {}): Promise<{ servers: Server[]; fake: DailyFake; store: BridgeStore }> {
  const fake = await startDailyFake();
  const store = options.store ?? memoryStore();
  closers.push(() => fake.close(), () => store.close());
  const personalDataKey = randomBytes(32);
  const made: Server[] = [];
  for (let i = 0; i < count; i += 1) {
    const bridge = createBridge({
      store,
      adapters: [daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep: async () => undefined })],
      rooms: [room('room-a')],
      personalDataKey,
      serverId: `server-${i}`,
      ...options,
    });
    const receiver = await startWebhookReceiver(bridge);
    closers.push(() => receiver.close(), () => bridge.close());
    made.push({ bridge, webhookUrl: receiver.urlFor('daily') });
  }
  return { servers: made, fake, store };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('several servers on one store', () => {
  it('matches a webhook on a server that did not start the call, and any server can act on it', async () => {
    const { servers: [a, b], fake, store } = await servers(2);
    const started = await a!.bridge.startVerification(startRequest());
    fake.deliverWebhooksTo(b!.webhookUrl);
    await fake.play('ops-joined', started.providerCallId!);
    await fake.play('other-joined', started.providerCallId!);
    expect((await store.readEntries({ type: 'provider.unmatched-event' })).length).toBe(0);
    const onB = (await b!.bridge.getCall(started.id))!;
    expect(onB.state).toBe('connected');
    expect(onB.join).toBeUndefined();
    await onB.attest({ fact: 'officer-identity-confirmed', supervisor: SUPERVISOR });
    await onB.recordOutcome({ outcome: 'verified', supervisor: SUPERVISOR });
    await onB.end({ actor: 'supervisor:SGT1' });
    const onA = (await a!.bridge.getCall(started.id))!;
    expect(onA.state).toBe('ended');
    expect(onA.outcome?.outcome).toBe('verified');
    expect(onA.timeline().map((e) => e.index)).toEqual(onB.timeline().map((e) => e.index));
    expect(fake.holdsCall(started.providerCallId!)).toBe(false);
    expect(await store.currentLease('room-a-device', Date.now())).toBeNull();
    expect((await store.verify()).ok).toBe(true);
  });

  it('refuses a write from a handle that fell behind, then applies it once it has read the call again', async () => {
    const { servers: [a, b], fake } = await servers(2);
    const started = await a!.bridge.startVerification(startRequest());
    fake.deliverWebhooksTo(b!.webhookUrl);
    await fake.play('ops-joined', started.providerCallId!);
    await fake.play('other-joined', started.providerCallId!);
    // A's own handle still says `created`; its write is checked against the row, so it sees `connected` first.
    expect(started.state).toBe('created');
    await started.attest({ fact: 'officer-identity-confirmed', supervisor: SUPERVISOR });
    expect(started.state).toBe('connected');
    await fake.play('call-ended', started.providerCallId!);
    await expect(started.attest({ fact: 'connected', supervisor: SUPERVISOR })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('keeps references unique across servers', async () => {
    const { servers: list, store } = await servers(3, { rooms: [room('room-a'), room('room-b'), room('room-c')] });
    const calls = await Promise.all(list.map((server) => server.bridge.startVerification(startRequest())));
    const references = calls.map((call) => call.verification.reference);
    expect(new Set(references).size).toBe(3);
    for (const call of calls) expect((await store.findCall({ reference: call.verification.reference }))?.verificationId).toBe(call.id);
  });
});

describe('a server that stops', () => {
  it('has its live call adopted under a new epoch, carried on elsewhere, and its device free right after', async () => {
    const adoptAfterMs = 150;
    const { servers: [a, b], fake, store } = await servers(2, { adoptAfterMs });
    const started = await a!.bridge.startVerification(startRequest());
    const firstEpoch = started.epoch!;
    await a!.bridge.close(); // stops its heartbeat, as a crash would; nothing is released
    await until(async () => (await store.findCall({ verificationId: started.id }))?.owner === 'server-1');
    const adopted = (await store.readEntries({ verificationId: started.id, type: 'call.adopted' }))[0]!;
    expect(adopted.data).toMatchObject({ owner: 'server-1', previousOwner: 'server-0', epoch: firstEpoch + 1 });
    fake.deliverWebhooksTo(b!.webhookUrl);
    await fake.play('ops-joined', started.providerCallId!);
    await fake.play('other-joined', started.providerCallId!);
    const onB = (await b!.bridge.getCall(started.id))!;
    expect(onB.state).toBe('connected');
    await onB.recordOutcome({ outcome: 'verified', supervisor: SUPERVISOR });
    await onB.end();
    const next = await b!.bridge.startVerification(startRequest());
    expect(next.state).toBe('created');
    expect((await store.verify()).ok).toBe(true);
  });

  it('is not adopted while it is alive: its heartbeat renews the lease under the same epoch', async () => {
    const adoptAfterMs = 90;
    const { servers: [a], store } = await servers(2, { adoptAfterMs });
    const started = await a!.bridge.startVerification(startRequest());
    await new Promise((resolve) => setTimeout(resolve, adoptAfterMs * 5));
    expect(await store.readEntries({ verificationId: started.id, type: 'call.adopted' })).toEqual([]);
    expect((await store.currentLease('room-a-device', Date.now()))?.epoch).toBe(started.epoch);
  });

  it('stops a writer whose device lease was taken over before the call row says so (LEASE_LOST)', async () => {
    const { servers: [a], store } = await servers(1, { adoptAfterMs: 60_000 });
    const started = await a!.bridge.startVerification(startRequest());
    await a!.bridge.close();
    // An adopter has taken the lapsed lease (new epoch) but not yet written `call.adopted`.
    await store.releaseLease('room-a-device', started.id);
    await store.acquireLease({ deviceId: 'room-a-device', holder: started.id, ttlMs: 60_000, nowMs: Date.now() });
    await expect(started.attest({ fact: 'answered', supervisor: SUPERVISOR })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await store.readEntries({ verificationId: started.id, type: 'operator.attested' })).toEqual([]);
  });
});

describe('a server that stops before the provider confirmed the call', () => {
  it('leaves a call another server fails as abandoned, so nothing waits on it for ever', async () => {
    const fake = await startDailyFake();
    const store = memoryStore();
    closers.push(() => fake.close(), () => store.close());
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl });
    const common = { store, rooms: [room('room-a')], personalDataKey: randomBytes(32), adoptAfterMs: 60 };
    // A health check that never answers: the first server is stuck routing, as if it had died there.
    const stuck = createBridge({ ...common, serverId: 'server-0', adapters: [{ ...adapter, health: () => new Promise(() => undefined) }] });
    void stuck.startVerification(startRequest());
    await until(async () => (await store.listLiveCalls()).length === 1);
    await stuck.close();
    const survivor = createBridge({ ...common, serverId: 'server-1', adapters: [adapter] });
    closers.push(() => survivor.close());
    const [record] = await store.listLiveCalls();
    await until(async () => (await store.findCall({ verificationId: record!.verificationId }))?.state === 'failed');
    const types = (await store.readEntries({ verificationId: record!.verificationId })).map((e) => e.type);
    expect(types).toEqual(['verification.created', 'call.adopted', 'call.abandoned']);
  });
});

describe('a call that reaches its expiry', () => {
  it('is ended by the bridge with the reason, and its device is never shared before then', async () => {
    const { servers: [a, b], fake, store } = await servers(2, { callTtlMs: 600, adoptAfterMs: 90 });
    const started = await a!.bridge.startVerification(startRequest());
    fake.deliverWebhooksTo(a!.webhookUrl);
    await fake.play('ops-joined', started.providerCallId!);
    await fake.play('other-joined', started.providerCallId!);
    const busy = await b!.bridge.startVerification(startRequest());
    expect(busy.failure?.code).toBe('DEVICE_BUSY');
    await until(async () => (await store.findCall({ verificationId: started.id }))?.state === 'ended');
    const ended = (await a!.bridge.getCall(started.id))!.timeline().find((e) => e.type === 'call.ended')!;
    expect(ended.data).toMatchObject({ endedBy: 'sdk', reason: 'expired', providerCleanup: { ok: true } });
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(started.verification.createdAt) + 600);
    expect(fake.holdsCall(started.providerCallId!)).toBe(false);
    expect((await b!.bridge.startVerification(startRequest())).state).toBe('created');
  });
});
