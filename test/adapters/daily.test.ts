import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { dailySigningSecret, signDailyWebhook } from '../../src/adapters/daily/signature.js';
import { startDailyFake, wereConcurrent, type DailyFake } from '../../src/testing/index.js';

let fake: DailyFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

const request = { verificationId: 'vrf_1', flow: 'citizen-device' as const, device: { id: 'dev', handle: 'ops-dev' }, expiresAt: '2030-01-01T00:30:00.000Z' };

describe('daily adapter requests', () => {
  it('creates a private expiring room and asks for the domain id at once, and signs both tokens itself', async () => {
    fake = await startDailyFake({ latencyMs: 50 });
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, readDomainIdAtStart: false });
    const created = await adapter.createCall(request);
    const room = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/rooms');
    const domain = fake.requests.find((r) => r.method === 'GET' && r.path === '/v1/');
    expect(fake.requests).toHaveLength(2);
    expect(room).toMatchObject({ headers: { authorization: `Bearer ${fake.apiKey}` } });
    expect(room!.body).toMatchObject({ privacy: 'private', properties: { exp: 1893457800, max_participants: 2, eject_at_room_exp: true } });
    expect(domain).toMatchObject({ headers: { authorization: `Bearer ${fake.apiKey}` } });
    // The two were in flight together: one round trip, not two.
    expect(wereConcurrent(room!, domain!)).toBe(true);
    expect(claimsOf(created.opsDevice.token!)).toEqual({
      r: created.providerCallId, d: fake.domainId, iat: expect.any(Number), exp: 1893457800, o: true, ud: 'ops-dev', u: 'Ops room supervisor', ejt: true,
    });
    expect(claimsOf(created.otherSide.token!)).toMatchObject({ r: created.providerCallId, d: fake.domainId, o: false, ud: 'guest-vrf_1', u: 'Member of the public' });
    expect(created.opsDevice.url).toBe(`https://vcb-sandbox.daily.co/${created.providerCallId}?t=${created.opsDevice.token}`);
    expect(created.otherSide.token).not.toBe(created.opsDevice.token);
    expect(fake.rooms().map((r) => r.name)).toEqual([created.providerCallId]);
  });

  it('reads the domain id once, when it is made, and not at all when it is configured', async () => {
    fake = await startDailyFake();
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl });
    await adapter.ready!();
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/']);
    await adapter.createCall(request);
    await adapter.createCall(request);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/', 'POST /v1/rooms', 'POST /v1/rooms']);
    const configured = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, domainId: fake.domainId });
    const before = fake.requests.length;
    const created = await configured.createCall(request);
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/rooms']);
    expect(claimsOf(created.otherSide.token!).d).toBe(fake.domainId);
  });

  it('deletes the room if the domain id cannot be read, so no room is left behind, and asks again next time', async () => {
    fake = await startDailyFake();
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, readDomainIdAtStart: false });
    fake.injectFault({ status: 400, method: 'GET', path: /^\/v1\/$/ });
    await expect(adapter.createCall(request)).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 400, provider: 'daily' });
    expect(fake.rooms()).toEqual([]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE' });
    await expect(adapter.createCall(request)).resolves.toMatchObject({ providerCallId: expect.any(String) });
  });

  it('knows a refused API key before any call, from the domain id read at start', async () => {
    fake = await startDailyFake();
    const adapter = daily({ apiKey: 'not-the-key', webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl });
    await adapter.ready!();
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
    expect(fake.requests.some((r) => r.path === '/v1/rooms' && r.method === 'POST')).toBe(false);
  });

  it('reports itself unhealthy, with the setting to fix, when it has no key or secret', async () => {
    const saved = { key: process.env.DAILY_API_KEY, secret: process.env.DAILY_WEBHOOK_SECRET };
    delete process.env.DAILY_API_KEY;
    delete process.env.DAILY_WEBHOOK_SECRET;
    try {
      expect(await daily({ webhookSecret: 'c2VjcmV0' }).health()).toEqual({ ok: false, reason: 'daily is not configured: set apiKey or DAILY_API_KEY' });
      expect((await daily({ apiKey: 'k' }).health()).reason).toContain('DAILY_WEBHOOK_SECRET');
      await expect(daily({}).createCall(request)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      process.env.DAILY_API_KEY = 'from-env';
      process.env.DAILY_WEBHOOK_SECRET = 'c2VjcmV0';
      expect(await daily({}).health()).toEqual({ ok: true });
    } finally {
      process.env.DAILY_API_KEY = saved.key;
      process.env.DAILY_WEBHOOK_SECRET = saved.secret;
      if (saved.key === undefined) delete process.env.DAILY_API_KEY;
      if (saved.secret === undefined) delete process.env.DAILY_WEBHOOK_SECRET;
    }
  });

  it('refuses a webhook answered with the unit the adapter was told not to expect', async () => {
    fake = await startDailyFake({ webhookTimestampUnit: 'milliseconds' });
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, webhookTimestampUnit: 'seconds' });
    const timestamp = String(Date.now());
    const body = Buffer.from('{"type":"meeting.started","id":"met-sta-1","payload":{"room":"r","start_ts":1}}');
    const result = adapter.verifyWebhook({
      method: 'POST',
      url: '/webhooks/daily',
      headers: { 'x-webhook-timestamp': timestamp, 'x-webhook-signature': signDailyWebhook(fake.webhookSecret, timestamp, body) },
      rawBody: body,
      receivedAtMs: Date.now(),
    });
    await expect(result).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'stale' } });
  });
});

describe('daily signature scheme', () => {
  it('is base64 HMAC-SHA256 keyed with the base64-decoded secret over "timestamp.body"', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const body = Buffer.from('{"type":"meeting.ended"}');
    // Computed independently of the module under test.
    const expected = createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef')).update('1700000000.{"type":"meeting.ended"}').digest('base64');
    expect(signDailyWebhook(secret, '1700000000', body)).toBe(expected);
    const other = Buffer.from('another secret of the same size!').toString('base64');
    expect(dailySigningSecret([other, secret], '1700000000', body, expected)).toBe(secret);
    expect(dailySigningSecret([other], '1700000000', body, expected)).toBeUndefined();
    expect(dailySigningSecret([secret], '1700000001', body, expected)).toBeUndefined();
    expect(dailySigningSecret([secret], '1700000000', Buffer.from('{"type":"meeting.ended" }'), expected)).toBeUndefined();
    expect(dailySigningSecret([secret], '1700000000', body, 'short')).toBeUndefined();
  });
});
