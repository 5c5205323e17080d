import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { zoom, type ZoomAdapterOptions } from '../../src/adapters/zoom.js';
import { BridgeError } from '../../src/index.js';
import { startZoomFake, zoomRateLimitFault, type ZoomFake, type ZoomFakeOptions } from '../../src/testing/index.js';

let fake: ZoomFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

// Accepts every webhook, for tests that only need Zoom's side of a meeting to move.
const sink = { server: undefined as Server | undefined, url: '' };
beforeAll(async () => {
  sink.server = createServer((_req, res) => res.writeHead(200).end('{}'));
  await new Promise<void>((resolve) => sink.server!.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => sink.server!.close(() => resolve())));

const START = Date.UTC(2026, 10, 27, 12, 0, 0);

async function setup(fakeOptions: ZoomFakeOptions = {}, adapterOptions: ZoomAdapterOptions = {}) {
  const clock = { ms: START };
  const sleeps: number[] = [];
  fake = await startZoomFake({ now: () => clock.ms, ...fakeOptions });
  const adapter = zoom({
    accountId: fake.accountId,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookSecretToken: fake.webhookSecretToken,
    baseUrl: fake.baseUrl,
    oauthBaseUrl: fake.oauthBaseUrl,
    now: () => clock.ms,
    sleep: async (ms) => void sleeps.push(ms),
    ...adapterOptions,
  });
  return { fake, adapter, clock, sleeps };
}

function request(clock: { ms: number }, handle = 'ops-device@vcb-sandbox.invalid') {
  return { verificationId: 'vrf_1', flow: 'citizen-device' as const, device: { id: 'dev', handle }, expiresAt: new Date(clock.ms + 30 * 60_000).toISOString() };
}

const calls = (f: ZoomFake) => f.requests.map((r) => `${r.method} ${r.path}`);

describe('zoom meetings: create', () => {
  it('asks for its token when it is made, so a create is one request sent after the token came', async () => {
    const { fake, adapter, clock } = await setup();
    await adapter.ready!();
    const [token] = fake.requests;
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token', answeredTick: expect.any(Number) });
    await adapter.createCall(request(clock));
    expect(calls(fake)).toEqual(['POST /oauth/token', `POST /v2/users/${encodeURIComponent(fake.host.email)}/meetings`]);
    expect(fake.requests[1]!.receivedTick).toBeGreaterThan(token!.answeredTick!);
  });

  it('knows a refused client is dead before any call, from the token asked for at start', async () => {
    const { fake, adapter } = await setup({}, { clientSecret: 'not-the-secret' });
    await adapter.ready!();
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
    // health() itself asks once more (its once-a-minute re-check); no meeting was ever asked for.
    expect(new Set(calls(fake))).toEqual(new Set(['POST /oauth/token']));
  });

  it('asks for nothing at start when told not to keep its token fresh', async () => {
    const { fake, adapter, clock } = await setup({}, { keepTokenFresh: false });
    await adapter.ready!();
    expect(fake.requests).toEqual([]);
    await adapter.createCall(request(clock));
    expect(calls(fake)).toEqual(['POST /oauth/token', `POST /v2/users/${encodeURIComponent(fake.host.email)}/meetings`]);
  });

  it('gets an S2S token with Basic auth and a form body, then creates a private meeting for the device user', async () => {
    const { fake, adapter, clock } = await setup();
    const created = await adapter.createCall(request(clock));
    const [token, create] = fake.requests;
    expect(token).toMatchObject({ method: 'POST', path: '/oauth/token', body: { grant_type: 'account_credentials', account_id: fake.accountId } });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token!.headers.authorization).toBe(`Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`);
    expect(create).toMatchObject({ method: 'POST', path: `/v2/users/${encodeURIComponent(fake.host.email)}/meetings` });
    expect(create!.headers.authorization).toMatch(/^Bearer fake-zoom-at-/);
    expect(create!.body).toMatchObject({
      type: 2,
      start_time: '2026-11-27T12:00:00Z',
      duration: 30,
      timezone: 'UTC',
      password: expect.stringMatching(/^[A-Za-z0-9]{10}$/),
      settings: { join_before_host: false, waiting_room: false, use_pmi: false, approval_type: 2, audio: 'voip', auto_recording: 'none', meeting_authentication: false },
    });
    const [meeting] = fake.meetings();
    expect(created.providerCallId).toBe(String(meeting!.id));
    expect(created.opsDevice).toMatchObject({ url: meeting!.start_url, token: new URL(meeting!.start_url).searchParams.get('zak') });
    expect(created.otherSide).toMatchObject({ url: meeting!.join_url, token: meeting!.password, displayName: 'Member of the public' });
    expect(created.providerCreatedAt).toEqual({ value: '2026-11-27T12:00:00Z' });
    expect(created.evidence).toEqual({
      meetingId: String(meeting!.id),
      meetingUuid: meeting!.uuid,
      passcodeRequired: true,
      joinBeforeHost: false,
      waitingRoom: false,
      autoRecording: 'none',
    });
  });

  it('applies the configured recording and waiting room, and names the officer as the other side in officer-device', async () => {
    const { fake, adapter, clock } = await setup({}, { autoRecording: 'cloud', waitingRoom: true });
    const created = await adapter.createCall({ ...request(clock), flow: 'officer-device' });
    expect(fake.requests[1]!.body).toMatchObject({ settings: { auto_recording: 'cloud', waiting_room: true } });
    expect(created.otherSide.displayName).toBe('Officer');
    expect(created.evidence).toMatchObject({ autoRecording: 'cloud', waitingRoom: true });
  });

  it('takes the device user by Zoom user id too, and turns an unknown user (1001) into a configuration error', async () => {
    const { fake, adapter, clock } = await setup();
    await expect(adapter.createCall(request(clock, fake.host.id))).resolves.toMatchObject({ providerCallId: expect.stringMatching(/^\d{11}$/) });
    const failure = await adapter.createCall(request(clock, 'nobody@vcb-sandbox.invalid')).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'INVALID_CONFIG', statusCode: 404, provider: 'zoom' });
    expect((failure as Error).message).not.toContain('nobody@');
  });
});

describe('zoom meetings: access tokens', () => {
  it('reuses one token, and asks for the next one shortly before the hour is up', async () => {
    const { fake, adapter, clock } = await setup();
    await Promise.all([adapter.createCall(request(clock)), adapter.createCall(request(clock))]);
    expect(fake.tokensIssued()).toBe(1);
    clock.ms += 3600_000 - 60_000 - 1;
    await adapter.createCall(request(clock));
    expect(fake.tokensIssued()).toBe(1);
    clock.ms += 2;
    await adapter.createCall(request(clock));
    expect(fake.tokensIssued()).toBe(2);
    expect(fake.requests.filter((r) => r.path !== '/oauth/token').every((r) => r.headers.authorization?.startsWith('Bearer '))).toBe(true);
  });

  it('refreshes and retries once when Zoom ends a token early (401, code 124), and stays healthy', async () => {
    const { fake, adapter, clock } = await setup();
    await adapter.createCall(request(clock));
    fake.expireAccessTokens();
    await adapter.createCall(request(clock));
    expect(calls(fake).slice(2)).toEqual(['POST /v2/users/ops-device%40vcb-sandbox.invalid/meetings', 'POST /oauth/token', 'POST /v2/users/ops-device%40vcb-sandbox.invalid/meetings']);
    expect(fake.meetings()).toHaveLength(2);
    expect(await adapter.health()).toEqual({ ok: true });
  });

  for (const status of [400, 401] as const) {
    it(`marks a revoked client dead when the token endpoint refuses it with ${status}, naming the cause`, async () => {
      const { fake, adapter, clock } = await setup({ credentialRefusal: { status, body: { reason: 'Invalid client_id or client_secret', error: 'invalid_client' } } });
      await adapter.createCall(request(clock));
      fake.revokeCredentials();
      const failure = await adapter.createCall(request(clock)).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', provider: 'zoom' });
      // The cached token is refused (401), a fresh one is asked for, and the client itself is refused.
      expect(calls(fake).slice(-2)).toEqual(['POST /v2/users/ops-device%40vcb-sandbox.invalid/meetings', 'POST /oauth/token']);
      const health = await adapter.health();
      expect(health).toMatchObject({ ok: false, credentialsInvalid: true });
      expect(health.reason).toMatch(/credentials refused/);
      expect(JSON.stringify([health, (failure as Error).message])).not.toContain(fake.clientSecret);
    });
  }

  it('reads credentials lazily, so a secret fixed in the environment is noticed by the next health check', async () => {
    const saved = process.env.ZOOM_CLIENT_SECRET;
    try {
      process.env.ZOOM_CLIENT_SECRET = 'wrong-secret';
      const { fake, adapter, clock } = await setup({}, { clientSecret: undefined });
      await expect(adapter.createCall(request(clock))).rejects.toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID' });
      expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
      process.env.ZOOM_CLIENT_SECRET = fake.clientSecret;
      expect(await adapter.health()).toMatchObject({ ok: false }); // rechecked at most once a minute
      clock.ms += 60_000;
      expect(await adapter.health()).toEqual({ ok: true });
      await expect(adapter.createCall(request(clock))).resolves.toBeDefined();
    } finally {
      if (saved === undefined) delete process.env.ZOOM_CLIENT_SECRET;
      else process.env.ZOOM_CLIENT_SECRET = saved;
    }
  });

  it('reports itself unhealthy, naming the setting, when a credential is missing', async () => {
    const names = ['ZOOM_ACCOUNT_ID', 'ZOOM_CLIENT_ID', 'ZOOM_CLIENT_SECRET', 'ZOOM_WEBHOOK_SECRET_TOKEN'];
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    try {
      expect(await zoom({ accountId: 'a', clientId: 'c', clientSecret: 's' }).health()).toEqual({
        ok: false,
        reason: 'zoom is not configured: set webhookSecretToken or ZOOM_WEBHOOK_SECRET_TOKEN',
      });
      await expect(zoom({}).createCall(request({ ms: Date.now() }))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      process.env.ZOOM_ACCOUNT_ID = 'a';
      process.env.ZOOM_CLIENT_ID = 'c';
      process.env.ZOOM_CLIENT_SECRET = 's';
      process.env.ZOOM_WEBHOOK_SECRET_TOKEN = 'w';
      expect(await zoom({}).health()).toEqual({ ok: true });
    } finally {
      names.forEach((name, i) => (saved[i] === undefined ? delete process.env[name] : (process.env[name] = saved[i])));
    }
  });
});

describe('zoom meetings: rate limits', () => {
  it('fails at once on the per-user daily limit, until 00:00 UTC from the ISO Retry-After, without asking Zoom again', async () => {
    const { fake, adapter, clock } = await setup({ createLimitPerUserPerDay: 2 });
    await adapter.createCall(request(clock));
    await adapter.createCall(request(clock));
    const failure = await adapter.createCall(request(clock)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', statusCode: 429, retryAfterMs: 12 * 3600_000, details: { limit: 'per-user-daily' } });
    expect(BridgeError.isInstance(failure) && failure.isRetryable).toBe(false);
    const creates = () => fake.requests.filter((r) => r.path.endsWith('/meetings')).length;
    expect(creates()).toBe(3);
    clock.ms += 3600_000;
    await expect(adapter.createCall(request(clock))).rejects.toMatchObject({ retryAfterMs: 11 * 3600_000, details: { limit: 'per-user-daily' } });
    expect(creates()).toBe(3);
    clock.ms = Date.UTC(2026, 10, 28, 0, 0, 1);
    await expect(adapter.createCall(request(clock))).resolves.toBeDefined();
  });

  it('still waits for 00:00 UTC when the 429 carries no Retry-After', async () => {
    const { adapter, clock } = await setup({ createLimitPerUserPerDay: 0, rateLimitHeaders: 'none' });
    await expect(adapter.createCall(request(clock))).rejects.toMatchObject({ retryAfterMs: 12 * 3600_000, details: { limit: 'per-user-daily' } });
  });

  it("reports the account's daily limit as unhealthy until it resets", async () => {
    const { fake, adapter, clock } = await setup();
    fake.failNext('create', zoomRateLimitFault('daily', clock.ms));
    await expect(adapter.createCall(request(clock))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', details: { limit: 'daily' } });
    expect(await adapter.health()).toEqual({ ok: false, reason: "zoom's daily API limit for this account is used up until 2026-11-28T00:00:00.000Z" });
    clock.ms = Date.UTC(2026, 10, 28);
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('waits the seconds of a per-second 429 and retries the create', async () => {
    const { fake, adapter, clock, sleeps } = await setup();
    fake.failNext('create', zoomRateLimitFault('per-second', clock.ms));
    await expect(adapter.createCall(request(clock))).resolves.toBeDefined();
    expect(sleeps).toEqual([1000]);
  });
});

describe('zoom meetings: end', () => {
  async function live(options: ZoomFakeOptions = {}) {
    const env = await setup(options);
    const created = await env.adapter.createCall(request(env.clock));
    env.fake.deliverWebhooksTo(sink.url);
    return { ...env, id: created.providerCallId };
  }

  // The host joins, so Zoom holds the meeting as in progress; its webhooks go to a sink that accepts all.
  async function started(f: ZoomFake, id: string) {
    await f.play('ops-joined', id);
    expect(f.meetings().find((m) => String(m.id) === id)?.status).toBe('started');
  }

  it('ends a live meeting with PUT status {"action":"end"}, then deletes it without mailing the host', async () => {
    const { fake, adapter, id } = await live();
    await started(fake, id);
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: id });
    const [status, remove] = fake.requests.slice(-2);
    expect(status).toMatchObject({ method: 'PUT', path: `/v2/meetings/${id}/status`, body: { action: 'end' } });
    expect(remove).toMatchObject({ method: 'DELETE', path: `/v2/meetings/${id}` });
    expect(remove!.query.get('schedule_for_reminder')).toBe('false');
    expect(fake.holdsCall(id)).toBe(false);
  });

  it.each([
    ['404 on status end', { status: 404, method: 'PUT' }],
    ['400 code 3001 on status end', { status: 400, method: 'PUT', body: { code: 3001, message: 'Meeting is not found or has expired.' } }],
    ['404 on delete', { status: 404, method: 'DELETE' }],
    ['400 code 3001 on delete', { status: 400, method: 'DELETE', body: { code: 3001, message: 'Meeting is not found or has expired.' } }],
    ['400 code 3007 (already ended) on delete', { status: 400, method: 'DELETE', body: { code: 3007, message: "Sorry, you cannot delete this meeting since it's ended." } }],
  ])('counts %s as done', async (_name, fault) => {
    const { fake, adapter, id } = await live();
    fake.injectFault(fault);
    await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId: id })).resolves.toBeUndefined();
  });

  const inProgress = { status: 400, method: 'DELETE', body: { code: 3002, message: "Sorry, you cannot delete this meeting since it's in progress." } };

  it('tries the delete once more after a pause when Zoom still sees the meeting in progress (3002)', async () => {
    const { fake, adapter, id, sleeps } = await live();
    fake.injectFault(inProgress);
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: id });
    expect(sleeps).toEqual([1000]);
    expect(fake.holdsCall(id)).toBe(false);
  });

  it('fails when the meeting is still in progress after that second try', async () => {
    const { fake, adapter, id } = await live();
    fake.injectFault({ ...inProgress, times: 2 });
    await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId: id })).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 400 });
    expect(fake.holdsCall(id)).toBe(true);
  });

  it('lets the delete decide when the status end is refused, so a refusal that matters still fails', async () => {
    const { fake, adapter, id } = await live();
    await started(fake, id);
    fake.injectFault({ status: 400, method: 'PUT', body: { code: 3003, message: 'Not meeting host.' } });
    await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId: id })).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', responseBody: expect.stringContaining('3002') });
    expect(fake.holdsCall(id)).toBe(true);
  });
});
