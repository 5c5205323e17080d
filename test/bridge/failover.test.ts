import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { zoom } from '../../src/adapters/zoom.js';
import { createBridge, type Bridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startDailyFake, startZoomFake, type DailyFake } from '../../src/testing/index.js';
import { room, startRequest } from '../support/sandbox.js';

const ZOOM_USER = 'ops-device@vcb-sandbox.invalid';
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

// Daily first, Zoom second, on one room whose device has both accounts.
async function twoProviders(): Promise<{ bridge: Bridge; daily: DailyFake; store: ReturnType<typeof memoryStore> }> {
  const dailyFake = await startDailyFake();
  const zoomFake = await startZoomFake({ host: { email: ZOOM_USER } });
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters: [
      daily({ apiKey: dailyFake.apiKey, webhookSecret: dailyFake.webhookSecret, baseUrl: dailyFake.baseUrl, sleep: async () => undefined }),
      zoom({
        accountId: zoomFake.accountId,
        clientId: zoomFake.clientId,
        clientSecret: zoomFake.clientSecret,
        webhookSecretToken: zoomFake.webhookSecretToken,
        baseUrl: zoomFake.baseUrl,
        oauthBaseUrl: zoomFake.oauthBaseUrl,
      }),
    ],
    rooms: [room('room-a', { device: { id: 'room-a-device', handles: { daily: 'room-a-device', zoom: ZOOM_USER } } })],
    preference: ['daily', 'zoom'],
    personalDataKey: randomBytes(32),
    failover: { attemptTimeoutMs: 300, budgetMs: 2_000 },
  });
  closers.push(() => zoomFake.close(), () => dailyFake.close(), () => store.close(), () => bridge.close());
  return { bridge, daily: dailyFake, store };
}

const citizen = { platform: 'android' as const, apps: ['zoom'], browser: true };

describe('failover when the first provider cannot create the call', () => {
  it.each([
    ['a 500', (fake: DailyFake) => fake.failNext('create', { status: 500, times: 5 })],
    ['no answer within the attempt cut-off', (fake: DailyFake) => fake.setLatency(600)],
    ['a 429 storm', (fake: DailyFake) => fake.failNext('create', { status: 429, times: 50, headers: { 'retry-after': '1' } })],
    ['a revoked credential', (fake: DailyFake) => fake.revokeCredentials()],
  ])('after %s, hands out the second provider’s link, logs the attempt, and the log verifies', async (_fault, inject) => {
    const { bridge, daily: dailyFake, store } = await twoProviders();
    inject(dailyFake);
    const call = await bridge.startVerification(startRequest({ citizen }));
    expect(call.state).toBe('created');
    expect(call.provider).toBe('zoom');
    expect(call.join?.otherSide.url).toMatch(/^https?:\/\//);
    const types = call.timeline().map((e) => e.type);
    expect(types).toEqual(['verification.created', 'route.decided', 'call.create-failed', 'route.decided', 'call.created']);
    const failed = call.timeline()[2]!;
    expect(failed.provider).toBe('daily');
    expect(failed.data.failover).toEqual({ provider: 'zoom', roomId: 'room-a' });
    expect(failed.data.transition).toBeUndefined();
    // The second decision lists the route that was tried and why it failed.
    expect(call.decision?.rejected).toEqual([expect.objectContaining({ provider: 'daily', roomId: 'room-a', reason: 'create-failed' })]);
    await call.end();
    await bridge.idle();
    expect((await store.verify()).ok).toBe(true);
    expect(await store.currentLease('room-a-device', Date.now())).toBeNull();
  });

  it('ends a create that answered after its cut-off, so no room is left at the provider', async () => {
    const { bridge, daily: dailyFake } = await twoProviders();
    dailyFake.setLatency(400);
    const call = await bridge.startVerification(startRequest({ citizen }));
    expect(call.provider).toBe('zoom');
    await bridge.idle();
    expect(dailyFake.rooms()).toEqual([]);
  });

  it('gives the phone fallback only when every route failed, with the last error and every route tried', async () => {
    const { bridge, daily: dailyFake, store } = await twoProviders();
    dailyFake.failNext('create', { status: 500, times: 5 });
    const call = await bridge.startVerification(startRequest({ citizen: { platform: 'android', browser: true } }));
    expect(call.state).toBe('failed');
    expect(call.failure?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(call.fallback?.emergencyNumber).toBe('999');
    const last = call.timeline().at(-1)!;
    expect(last.type).toBe('call.create-failed');
    expect(last.data.tried).toEqual([expect.objectContaining({ provider: 'daily', reason: 'create-failed' })]);
    expect(await store.currentLease('room-a-device', Date.now())).toBeNull();
  });
});
