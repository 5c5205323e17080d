import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { zoomVideoSdk } from '../../src/adapters/zoom.js';
import { createBridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startZoomVideoSdkFake, type ZoomVideoSdkFake } from '../../src/testing/index.js';

// Counts loads of jose: the adapter must import it only when it first signs a token.
const jose = vi.hoisted(() => ({ loads: 0 }));
vi.mock('jose', async (importOriginal) => {
  jose.loads += 1;
  return importOriginal();
});

const START = Date.UTC(2026, 10, 27, 12, 0, 0);
const PAGE = 'https://verify.police.example/zoom';
let fake: ZoomVideoSdkFake;
const clock = { ms: START };
afterEach(async () => {
  clock.ms = START;
  await fake?.close();
});

async function setup() {
  fake = await startZoomVideoSdkFake({ now: () => clock.ms });
  return zoomVideoSdk({ sdkKey: fake.sdkKey, sdkSecret: fake.sdkSecret, joinPageUrl: PAGE, now: () => clock.ms });
}

const request = (minutes: number, flow: 'citizen-device' | 'officer-device' = 'citizen-device') => ({
  verificationId: 'vrf_1',
  flow,
  device: { id: 'dev', handle: 'ops-device' },
  expiresAt: new Date(START + minutes * 60_000).toISOString(),
});

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function fragmentOf(url: string): URLSearchParams {
  return new URLSearchParams(new URL(url).hash.slice(1));
}

describe('zoom video sdk', () => {
  it('loads jose only when it first signs a token', async () => {
    const adapter = await setup();
    expect(jose.loads).toBe(0);
    await adapter.health();
    expect(jose.loads).toBe(0);
    await adapter.createCall(request(30));
    await adapter.createCall(request(30));
    expect(jose.loads).toBe(1);
  });

  it('mints a host token for the ops device and a participant token for the other side, both accepted by Zoom', async () => {
    const adapter = await setup();
    const created = await adapter.createCall(request(60, 'officer-device'));
    const session = created.providerCallId;
    expect(session).toMatch(/^vcb-[A-Za-z0-9_-]{22}$/);
    const iat = START / 1000;
    expect(claimsOf(created.opsDevice.token!)).toEqual({ app_key: fake.sdkKey, tpc: session, role_type: 1, version: 1, iat, exp: iat + 3600 });
    expect(claimsOf(created.otherSide.token!)).toMatchObject({ tpc: session, role_type: 0 });
    expect(fake.join(session.toUpperCase(), created.opsDevice.token!, 'Ops room supervisor')).toEqual({ userName: 'Ops room supervisor', roleType: 1 });
    expect(fake.join(session, created.otherSide.token!, 'Officer')).toEqual({ userName: 'Officer', roleType: 0 });
    expect(fake.holdsCall(session)).toBe(true);
    expect(() => fake.join('another-session', created.otherSide.token!, 'Officer')).toThrow(/tpc is not the topic/);
  });

  it('puts the session, token and name in the link fragment, which browsers never send to a server', async () => {
    const adapter = await setup();
    const created = await adapter.createCall(request(30));
    const link = new URL(created.otherSide.url);
    expect(`${link.origin}${link.pathname}`).toBe(PAGE);
    expect(link.search).toBe('');
    expect(Object.fromEntries(fragmentOf(created.otherSide.url))).toEqual({ session: created.providerCallId, token: created.otherSide.token, name: 'Member of the public' });
    expect(JSON.stringify(created.evidence)).not.toContain(created.otherSide.token!);
    expect(created.evidence).toEqual({ sessionName: created.providerCallId, tokensExpireAt: '2026-11-27T12:30:00.000Z', opsDeviceRoleType: 1, otherSideRoleType: 0 });
  });

  it.each([
    ['a 10-minute call', 10, 1800],
    ['a 3-day call', 3 * 24 * 60, 172_800],
    ['a 45-minute call', 45, 2700],
  ])("keeps exp within Zoom's 30 minutes to 48 hours for %s", async (_name, minutes, lifetime) => {
    const adapter = await setup();
    const created = await adapter.createCall(request(minutes));
    const claims = claimsOf(created.opsDevice.token!);
    expect((claims.exp as number) - (claims.iat as number)).toBe(lifetime);
    expect(fake.join(created.providerCallId, created.opsDevice.token!, 'ops').roleType).toBe(1);
  });

  it('cannot withdraw a token: the session stays joinable after the call ends, until exp, which Zoom then enforces', async () => {
    const adapter = await setup();
    const created = await adapter.createCall(request(10));
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId });
    expect(() => fake.join(created.providerCallId, created.otherSide.token!, 'late')).not.toThrow();
    fake.leave(created.providerCallId, 'late');
    expect(fake.holdsCall(created.providerCallId)).toBe(false);
    clock.ms = START + 1800_000;
    expect(() => fake.join(created.providerCallId, created.otherSide.token!, 'later')).toThrow(/expired/);
  });

  it("fails at join, not at create, once the SDK secret was regenerated: Zoom's refusal never reaches the server", async () => {
    const adapter = await setup();
    fake.revokeCredentials();
    const created = await adapter.createCall(request(30));
    expect(() => fake.join(created.providerCallId, created.opsDevice.token!, 'ops')).toThrow(/signature/);
  });

  it('runs through the bridge: created, ended, device released, and no token in the log', async () => {
    const adapter = await setup();
    const store = memoryStore();
    const bridge = createBridge({
      store,
      adapters: [adapter],
      rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { 'zoom-video-sdk': 'ops-device' } } }],
      personalDataKey: randomBytes(32),
      sandbox: true,
    });
    try {
      const call = await bridge.startVerification({
        officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-1', name: 'PC Test', force: 'Test Constabulary' },
        reason: 'Testing the Zoom Video SDK mode',
        flow: 'citizen-device',
        citizen: { platform: 'ios', apps: [], browser: true },
      });
      expect(call.state).toBe('created');
      await call.end({ actor: 'supervisor:SGT1' });
      await bridge.idle();
      expect(call.state).toBe('ended');
      expect(await store.currentLease('device', Date.now())).toBeNull();
      const log = JSON.stringify(await store.readEntries());
      for (const secret of [call.join!.opsDevice.token!, call.join!.otherSide.token!, fake.sdkSecret]) expect(log).not.toContain(secret);
      expect(log).toContain(`${PAGE}"`);
    } finally {
      await bridge.close();
      await store.close();
    }
  });

  it('refuses webhooks, since it has no signed source of them', async () => {
    const adapter = await setup();
    const request = { method: 'POST', url: '/webhooks/zoom-video-sdk', headers: {}, rawBody: Buffer.from('{}'), receivedAtMs: Date.now() };
    await expect(adapter.verifyWebhook(request)).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'unsigned' } });
  });

  it.each([
    [{}, 'zoom-video-sdk is not configured: set sdkKey or ZOOM_VIDEO_SDK_KEY'],
    [{ sdkKey: 'k', sdkSecret: 's' }, 'zoom-video-sdk is not configured: set joinPageUrl or ZOOM_VIDEO_SDK_JOIN_PAGE_URL'],
    [{ sdkKey: 'k', sdkSecret: 's', joinPageUrl: 'http://verify.police.example/zoom' }, 'zoom-video-sdk joinPageUrl must be an https URL without a fragment'],
    [{ sdkKey: 'k', sdkSecret: 's', joinPageUrl: 'https://verify.police.example/zoom#x' }, 'zoom-video-sdk joinPageUrl must be an https URL without a fragment'],
    [{ sdkKey: 'k', sdkSecret: 's', joinPageUrl: 'zoom' }, 'zoom-video-sdk joinPageUrl is not an absolute URL'],
  ])('reports %j unhealthy with the reason', async (options, reason) => {
    const names = ['ZOOM_VIDEO_SDK_KEY', 'ZOOM_VIDEO_SDK_SECRET', 'ZOOM_VIDEO_SDK_JOIN_PAGE_URL'];
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    try {
      expect(await zoomVideoSdk(options).health()).toEqual({ ok: false, reason });
    } finally {
      names.forEach((name, i) => (saved[i] === undefined ? delete process.env[name] : (process.env[name] = saved[i])));
    }
  });

  it('accepts a plain-http join page on loopback, for a sandbox', async () => {
    expect(await zoomVideoSdk({ sdkKey: 'k', sdkSecret: 's', joinPageUrl: 'http://127.0.0.1:8080/zoom' }).health()).toEqual({ ok: true });
  });
});
