import { afterEach, describe, expect, it } from 'vitest';
import { agora, type AgoraAdapterOptions, type AgoraJoinDetails } from '../../src/adapters/agora.js';
import { agoraChannelUids, isAgoraChannelName, tokenExpiryOfChannel } from '../../src/adapters/agora/channel.js';
import { AgoraJoinRefused, startAgoraFake, startWebhookReceiver, type AgoraFake } from '../../src/testing/index.js';

let fake: AgoraFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const JOIN_PAGE = 'https://verify.example.police.uk/agora?lang=en';
// agora-token stamps tokens with the system clock, so the fake's clock starts from it too.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const iso = (ms: number) => new Date(ms).toISOString();
const request = { verificationId: 'vrf_1', flow: 'citizen-device' as const, device: { id: 'dev', handle: 'ops-dev' }, expiresAt: iso(NOW + 1_800_000) };

async function setup(overrides: AgoraAdapterOptions = {}, clock = { ms: NOW }) {
  fake = await startAgoraFake({ now: () => clock.ms });
  const sleeps: number[] = [];
  const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: JOIN_PAGE, now: () => clock.ms, sleep: async (ms) => void sleeps.push(ms), ...overrides });
  return { fake, adapter, sleeps, clock };
}

describe('agora createCall', () => {
  it('mints one publisher token per side for distinct uids, expiring with the call, and puts no token in a link', async () => {
    const { fake, adapter } = await setup();
    const created = await adapter.createCall(request);
    const channel = created.providerCallId;
    expect(isAgoraChannelName(channel)).toBe(true);
    expect(tokenExpiryOfChannel(channel)).toBe(NOW / 1000 + 1800);
    const uids = agoraChannelUids(channel);
    expect(uids.opsDevice).not.toBe(uids.otherSide);
    const ops = created.opsDevice as AgoraJoinDetails;
    const other = created.otherSide as AgoraJoinDetails;
    expect(ops).toMatchObject({ appId: fake.appId, channel, uid: uids.opsDevice, displayName: 'Ops room supervisor' });
    expect(other).toMatchObject({ appId: fake.appId, channel, uid: uids.otherSide, displayName: 'Member of the public' });
    expect(ops.token).toMatch(/^007/);
    expect(other.token).not.toBe(ops.token);
    const link = new URL(other.url);
    expect(`${link.origin}${link.pathname}`).toBe('https://verify.example.police.uk/agora');
    expect(Object.fromEntries(link.searchParams)).toEqual({ lang: 'en', appId: fake.appId, channel, uid: String(uids.otherSide) });
    expect(other.url).not.toContain(other.token);
    expect(created.evidence).toEqual({
      channel, opsDeviceUid: uids.opsDevice, otherSideUid: uids.otherSide, tokenLifetimeSeconds: 1800, tokenExpiresAt: request.expiresAt,
    });
    expect(JSON.stringify(created.evidence)).not.toContain(ops.token);
    expect(fake.holdsCall(channel)).toBe(true);
  });

  it('passes buildTokenWithUid exactly: App ID, certificate, channel, uid, PUBLISHER, and seconds from now (capped at 24 h)', async () => {
    const calls: unknown[][] = [];
    const { fake, adapter } = await setup();
    const recording = { buildTokenWithUid: (...args: Parameters<typeof fake.tokenBuilder.buildTokenWithUid>) => (calls.push(args), fake.tokenBuilder.buildTokenWithUid(...args)) };
    const capped = agora({ ...fake.adapterOptions(), joinPageUrl: JOIN_PAGE, now: () => NOW, tokenBuilder: recording });
    const created = await capped.createCall({ ...request, expiresAt: iso(NOW + 2 * 86_400_000) });
    const uids = agoraChannelUids(created.providerCallId);
    expect(calls).toEqual([
      [fake.appId, fake.appCertificate, created.providerCallId, uids.opsDevice, 1, 86_400, 86_400],
      [fake.appId, fake.appCertificate, created.providerCallId, uids.otherSide, 1, 86_400, 86_400],
    ]);
    await expect(adapter.createCall({ ...request, expiresAt: iso(NOW - 1000) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('hands each side a token Agora admits only for its own uid and channel', async () => {
    const { fake, adapter, clock } = await setup();
    const receiver = await startWebhookReceiver({ handleWebhook: async () => ({ reply: { status: 200, body: '{}' }, logged: [], duplicates: 0 }) });
    try {
      fake.deliverWebhooksTo(receiver.urlFor('agora'));
      const created = await adapter.createCall(request);
      const ops = created.opsDevice as AgoraJoinDetails;
      const other = created.otherSide as AgoraJoinDetails;
      await expect(fake.join(ops.channel, ops.token, other.uid)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      await expect(fake.join('vcb-someone-elses', ops.token, ops.uid)).rejects.toBeInstanceOf(AgoraJoinRefused);
      expect((await fake.join(ops.channel, ops.token, ops.uid)).map((d) => JSON.parse(d.sent.body).eventType)).toEqual([101, 107]);
      expect(fake.members(ops.channel)).toEqual([ops.uid]);
      // Past the expiry even if the tokens were stamped a little after NOW (agora-token reads the system clock).
      clock.ms += 1_860_000;
      await expect(fake.join(other.channel, other.token, other.uid)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    } finally {
      await receiver.close();
    }
  });

  it('refuses to start without its settings, and names the one to fix', async () => {
    const saved = { ...process.env };
    for (const name of Object.keys(process.env).filter((n) => n.startsWith('AGORA_'))) delete process.env[name];
    try {
      const complete = { appId: 'a'.repeat(32), appCertificate: 'b'.repeat(32), webhookSecret: 's', joinPageUrl: JOIN_PAGE, tokenBuilder: { buildTokenWithUid: () => '007x' } };
      expect(await agora(complete).health()).toEqual({ ok: true });
      expect(await agora({ ...complete, appId: 'not-hex' }).health()).toEqual({ ok: false, reason: 'agora is not configured: appId must be 32 hexadecimal characters' });
      expect((await agora({ ...complete, webhookSecret: undefined }).health()).reason).toContain('AGORA_WEBHOOK_SECRET');
      expect((await agora({ ...complete, joinPageUrl: 'ftp://x' }).health()).reason).toContain('http(s)');
      await expect(agora({ ...complete, appCertificate: undefined }).createCall(request)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(agora({ ...complete, tokenBuilder: { buildTokenWithUid: () => '' } }).createCall(request)).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
      Object.assign(process.env, { AGORA_APP_ID: 'c'.repeat(32), AGORA_APP_CERTIFICATE: 'd'.repeat(32), AGORA_WEBHOOK_SECRET: 's', AGORA_JOIN_PAGE_URL: JOIN_PAGE });
      expect(await agora({ tokenBuilder: complete.tokenBuilder }).health()).toEqual({ ok: true });
    } finally {
      for (const name of Object.keys(process.env).filter((n) => n.startsWith('AGORA_'))) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});

describe('agora endCall', () => {
  it('bans the channel with the documented kicking-rule request until its tokens lapse', async () => {
    const { fake, adapter, clock } = await setup();
    const created = await adapter.createCall(request);
    clock.ms += 600_000;
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId });
    const [ban] = fake.requests;
    expect(ban).toMatchObject({
      method: 'POST',
      path: '/dev/v1/kicking-rule',
      headers: { authorization: `Basic ${Buffer.from(`${fake.customerId}:${fake.customerSecret}`).toString('base64')}`, 'content-type': 'application/json' },
    });
    expect(ban!.body).toEqual({ appid: fake.appId, cname: created.providerCallId, time_in_seconds: 1200 + 30, privileges: ['join_channel'] });
    expect(fake.rules()).toMatchObject([{ cname: created.providerCallId, expiresAt: NOW / 1000 + 600 + 1230 }]);
    expect(fake.holdsCall(created.providerCallId)).toBe(false);
  });

  it('asks nothing of Agora once the tokens have expired', async () => {
    const { fake, adapter, clock } = await setup();
    const created = await adapter.createCall(request);
    expect(fake.holdsCall(created.providerCallId)).toBe(true);
    clock.ms += 1_860_000;
    expect(fake.holdsCall(created.providerCallId)).toBe(false);
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId });
    expect(fake.requests).toEqual([]);
  });

  it('without REST credentials, says the call cannot be ended early and until when its tokens run', async () => {
    const { fake, adapter } = await setup({ customerId: undefined, customerSecret: undefined });
    const created = await adapter.createCall(request);
    await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining(request.expiresAt),
    });
    expect(fake.requests).toEqual([]);
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('waits out a 429, repeats the ban after a 5xx with backoff, and does not repeat a 400 or take a 404 as done', async () => {
    const { fake, adapter, sleeps } = await setup();
    const { providerCallId } = await adapter.createCall(request);
    const end = () => adapter.endCall({ verificationId: 'vrf_1', providerCallId });
    fake.injectFault({ status: 429, headers: { 'retry-after': '2' } });
    await end();
    expect(sleeps).toEqual([2000]);
    fake.injectFault({ status: 503, times: 2 });
    await end();
    expect(sleeps).toEqual([2000, 200, 400]);
    fake.injectFault({ status: 503, times: 3 });
    await expect(end()).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', statusCode: 503 });
    fake.injectFault({ status: 400 });
    await expect(end()).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 400 });
    fake.injectFault({ status: 404 });
    await expect(end()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(2 + 3 + 3 + 1 + 1);
  });

  it('reports a refused customer secret as bad credentials, and notices when it is fixed', async () => {
    const saved = process.env.AGORA_CUSTOMER_SECRET;
    const { fake, adapter, clock } = await setup({ customerSecret: undefined });
    process.env.AGORA_CUSTOMER_SECRET = fake.customerSecret;
    try {
      const { providerCallId } = await adapter.createCall(request);
      fake.revokeCredentials();
      await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId })).rejects.toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID' });
      expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true, reason: expect.stringContaining('customer ID and secret') });
      process.env.AGORA_CUSTOMER_SECRET = fake.customerSecret;
      expect((await adapter.health()).ok).toBe(false);
      clock.ms += 60_000;
      expect(await adapter.health()).toEqual({ ok: true });
      expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: `/dev/v1/channel/${fake.appId}` });
    } finally {
      if (saved === undefined) delete process.env.AGORA_CUSTOMER_SECRET;
      else process.env.AGORA_CUSTOMER_SECRET = saved;
    }
  });
});
