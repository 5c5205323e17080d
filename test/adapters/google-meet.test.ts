import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth } from '@googleapis/meet';
import { afterEach, describe, expect, it } from 'vitest';
import { googleMeet, type GoogleMeetAdapterOptions } from '../../src/adapters/google-meet.js';
import { conferenceEvents } from '../../src/adapters/google-meet/events.js';
import { startGoogleMeetFake, type GoogleMeetFake, type GoogleMeetFakeOptions } from '../../src/testing/index.js';

const fakes: GoogleMeetFake[] = [];
afterEach(async () => {
  while (fakes.length > 0) await fakes.pop()!.close();
});

const request = (handle: string) => ({ verificationId: 'vrf_1', flow: 'citizen-device' as const, device: { id: 'dev', handle }, expiresAt: '2030-01-01T00:30:00.000Z' });

async function open(fakeOptions: GoogleMeetFakeOptions = {}, adapterOptions: GoogleMeetAdapterOptions = {}) {
  const fake = await startGoogleMeetFake(fakeOptions);
  fakes.push(fake);
  const client = new auth.OAuth2({ clientId: fake.clientId, clientSecret: fake.clientSecret, endpoints: { oauth2TokenUrl: fake.tokenUrl } });
  client.setCredentials({ refresh_token: fake.refreshToken });
  const sleeps: number[] = [];
  const adapter = googleMeet({ auth: client, rootUrl: fake.rootUrl, sleep: async (ms) => void sleeps.push(ms), ...adapterOptions });
  const tokenRequests = () => fake.requests.filter((r) => r.path === '/token').length;
  const apiRequests = () => fake.requests.filter((r) => r.path.startsWith('/v2/'));
  return { fake, client, adapter, sleeps, tokenRequests, apiRequests };
}

describe('google-meet through the real @googleapis/meet client', () => {
  it('creates a space with the generated client, which fetched its token from the fake', async () => {
    const { fake, adapter } = await open();
    const created = await adapter.createCall(request(fake.deviceUser));
    const [token, create] = fake.requests;
    expect(token).toMatchObject({ method: 'POST', path: '/token', body: { grant_type: 'refresh_token', refresh_token: fake.refreshToken, client_id: fake.clientId } });
    const common = createRequire(import.meta.url)('googleapis-common/package.json') as { version: string };
    expect(create).toMatchObject({ method: 'POST', path: '/v2/spaces', body: {} });
    // Only the generated client sends these: googleapis-common names itself in both headers.
    expect(create!.headers['user-agent']).toBe(`google-api-nodejs-client/${common.version} (gzip)`);
    expect(create!.headers['x-goog-api-client']).toMatch(new RegExp(`^gdcl/${common.version.replace(/\./g, '\\.')} gl-node/`));
    expect(create!.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    const [space] = fake.spaces();
    expect(created).toEqual({
      providerCallId: space!.name,
      opsDevice: { url: space!.meetingUri },
      otherSide: { url: space!.meetingUri },
      evidence: { space: space!.name, meetingCode: space!.meetingCode, accessType: 'TRUSTED' },
    });
    expect(space!.meetingUri).toMatch(/^https:\/\/meet\.google\.com\/[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
  });

  it('sends the access type it is given, and keeps only the origin of rootUrl as the client does', async () => {
    const fake = await startGoogleMeetFake();
    fakes.push(fake);
    const adapter = googleMeet({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      refreshToken: fake.refreshToken,
      tokenUrl: fake.tokenUrl,
      rootUrl: `${fake.rootUrl}ignored/prefix/`,
      accessType: 'OPEN',
    });
    const created = await adapter.createCall(request(fake.deviceUser));
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v2/spaces', body: { config: { accessType: 'OPEN' } } });
    expect(created.evidence).toMatchObject({ accessType: 'OPEN' });
  });

  it('passes every request through the fetch it is given', async () => {
    const seen: string[] = [];
    const { fake, adapter } = await open({}, { fetch: async (input, init) => (seen.push(String(input)), globalThis.fetch(input, init)) });
    await adapter.createCall(request(fake.deviceUser));
    expect(seen).toEqual([`${fake.rootUrl}v2/spaces`]);
  });
});

describe('google-meet lifecycle from conferenceRecords', () => {
  it('maps records and participants to uniform events, oldest first, with the ops device told apart', async () => {
    const { fake, adapter, apiRequests } = await open({ maxPageSize: 1 });
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    const call = { verificationId: 'vrf_1', providerCallId };
    for (const step of ['ops-joined', 'other-joined', 'other-left', 'ops-left', 'call-ended', 'recording-ready'] as const) {
      await fake.play(step, providerCallId);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // A second conference in the same space: the citizen came back after everyone had left.
    await fake.play('other-joined', providerCallId);
    const events = await adapter.pollEvents!(call);
    expect(events.map((e) => [e.type, e.participant?.role])).toEqual([
      ['call.started', undefined],
      ['participant.joined', 'ops-device'],
      ['participant.joined', 'other-side'],
      ['participant.left', 'other-side'],
      ['participant.left', 'ops-device'],
      ['call.ended', undefined],
      ['recording.ready', undefined],
      ['call.started', undefined],
      ['participant.joined', 'other-side'],
    ]);
    const times = events.map((e) => Date.parse(String(e.providerTime!.value)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(events[1]).toMatchObject({ providerEventId: expect.stringMatching(/^conferenceRecords\/\w+\/participants\/\d+:joined$/), evidence: { kind: 'signedinUser' } });
    expect(events[2]!.evidence).toMatchObject({ kind: 'anonymousUser' });
    expect(JSON.stringify(events)).not.toContain('Member of the public');
    expect(new Set(events.map((e) => e.providerEventId)).size).toBe(events.length);
    // Pages of one item: the records list, and each conference's participants, were followed to the end.
    const lists = apiRequests().filter((r) => r.method === 'GET');
    expect(lists.filter((r) => r.path === '/v2/conferenceRecords').map((r) => r.query.get('filter'))).toEqual([
      `space.name = "${providerCallId}"`,
      `space.name = "${providerCallId}"`,
    ]);
    expect(lists.filter((r) => r.query.get('pageToken')).length).toBeGreaterThanOrEqual(2);
    expect(await adapter.pollEvents!(call)).toEqual(events);
  });

  it('reports roles it cannot know as unknown for a call it did not create, and skips recordings when told to', async () => {
    const { fake, adapter, client } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    await fake.play('ops-joined', providerCallId);
    await fake.play('other-joined', providerCallId);
    const restarted = googleMeet({ auth: client, rootUrl: fake.rootUrl, recording: false });
    expect(restarted.capabilities.recording).toBe(false);
    const before = fake.requests.length;
    const events = await restarted.pollEvents!({ verificationId: 'vrf_1', providerCallId });
    expect(events.filter((e) => e.participant).map((e) => e.participant!.role)).toEqual(['unknown', 'other-side']);
    expect(fake.requests.slice(before).some((r) => r.path.endsWith('/recordings'))).toBe(false);
  });

  it('orders events at one instant as a call lives them, skips unfinished recordings, and refuses records without times', () => {
    const at = '2030-01-01T10:00:00.123456Z';
    const record = { name: 'conferenceRecords/c1', startTime: at, endTime: at, space: 'spaces/s1' };
    const participants = [{ name: 'conferenceRecords/c1/participants/1', phoneUser: { displayName: 'x' }, earliestStartTime: at, latestEndTime: at }];
    const recordings = [
      { name: 'conferenceRecords/c1/recordings/r1', state: 'STARTED', startTime: at },
      { name: 'conferenceRecords/c1/recordings/r2', state: 'FILE_GENERATED', startTime: at, endTime: at, driveDestination: { file: 'f1' } },
    ];
    const events = conferenceEvents('spaces/s1', undefined, [{ record, participants, recordings }]);
    expect(events.map((e) => e.type)).toEqual(['call.started', 'participant.joined', 'participant.left', 'recording.ready', 'call.ended']);
    expect(events[3]).toMatchObject({ providerEventId: 'conferenceRecords/c1/recordings/r2:ready', evidence: { driveFile: 'f1' } });
    expect(() => conferenceEvents('spaces/s1', undefined, [{ record: { name: 'conferenceRecords/c2' }, participants: [], recordings: [] }])).toThrow(
      expect.objectContaining({ code: 'PROVIDER_REJECTED' }),
    );
  });

  it('refuses a call id that is not a space name before it reaches a filter', async () => {
    const { adapter } = await open();
    await expect(adapter.pollEvents!({ verificationId: 'v', providerCallId: 'spaces/x" OR space.name != "' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('google-meet access tokens', () => {
  it('are fetched when the adapter is made, so a create is one request sent after the token came', async () => {
    const { fake, adapter, tokenRequests } = await open();
    await adapter.ready!();
    expect(tokenRequests()).toBe(1);
    const [token] = fake.requests;
    await adapter.createCall(request(fake.deviceUser));
    expect(fake.requests.map((r) => r.path)).toEqual(['/token', '/v2/spaces']);
    expect(fake.requests[1]!.receivedTick).toBeGreaterThan(token!.answeredTick!);
  });

  it('mark a client refused at start as a dead credential before any call', async () => {
    const fake = await startGoogleMeetFake();
    fakes.push(fake);
    const adapter = googleMeet({ clientId: fake.clientId, clientSecret: 'wrong', refreshToken: fake.refreshToken, tokenUrl: fake.tokenUrl, rootUrl: fake.rootUrl });
    await adapter.ready!();
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
    expect(fake.requests.filter((r) => r.path.startsWith('/v2/'))).toEqual([]);
  });

  it('refreshes once and retries when Meet refuses a token the client still thought valid', async () => {
    const { fake, adapter, tokenRequests, apiRequests } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    expect(tokenRequests()).toBe(1);
    fake.expireAccessTokens();
    const sent = apiRequests().length;
    await adapter.pollEvents!({ verificationId: 'vrf_1', providerCallId });
    expect(tokenRequests()).toBe(2);
    // The refused list, then the same list again with the new token (the space has had no conference yet).
    expect(apiRequests().slice(sent).map((r) => r.path)).toEqual(['/v2/conferenceRecords', '/v2/conferenceRecords']);
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('keeps one refresh in flight when several requests find the token refused at once', async () => {
    const { fake, adapter, client, tokenRequests } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    // Count the adapter's own refreshes: google-auth-library also shares one refresh per refresh token.
    const refresh = client.refreshAccessToken.bind(client);
    let refreshes = 0;
    client.refreshAccessToken = (() => ((refreshes += 1), refresh())) as typeof client.refreshAccessToken;
    fake.expireAccessTokens();
    const call = { verificationId: 'vrf_1', providerCallId };
    await Promise.all([adapter.pollEvents!(call), adapter.pollEvents!(call), adapter.pollEvents!(call)]);
    expect(refreshes).toBe(1);
    expect(tokenRequests()).toBe(2);
  });

  it('refreshes shortly before expiry without waiting for a refusal', async () => {
    const { fake, adapter, client, tokenRequests, apiRequests } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    client.credentials.expiry_date = Date.now() + 60_000;
    const sent = apiRequests().length;
    await adapter.pollEvents!({ verificationId: 'vrf_1', providerCallId });
    expect(tokenRequests()).toBe(2);
    expect(apiRequests().length - sent).toBe(1);
  });

  it('marks itself unhealthy, saying what to do, when the grant is revoked; no secret is in the message', async () => {
    const { fake, adapter, client, tokenRequests } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    const accessToken = client.credentials.access_token!;
    fake.revokeCredentials();
    const failure = await adapter.pollEvents!({ verificationId: 'vrf_1', providerCallId }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', statusCode: 400, details: { source: 'token', oauthError: 'invalid_grant' } });
    expect(tokenRequests()).toBe(2);
    const health = await adapter.health();
    expect(health).toMatchObject({ ok: false, credentialsInvalid: true });
    expect(health.reason).toMatch(/invalid_grant.*authorise the app again/);
    for (const secret of [fake.refreshToken, fake.clientSecret, accessToken]) {
      expect(JSON.stringify({ message: (failure as Error).message, health })).not.toContain(secret);
    }
  });

  it('treats a wrong client secret as a dead credential', async () => {
    const fake = await startGoogleMeetFake();
    fakes.push(fake);
    const adapter = googleMeet({ clientId: fake.clientId, clientSecret: 'wrong', refreshToken: fake.refreshToken, tokenUrl: fake.tokenUrl, rootUrl: fake.rootUrl });
    await expect(adapter.createCall(request(fake.deviceUser))).rejects.toMatchObject({
      code: 'PROVIDER_CREDENTIALS_INVALID',
      statusCode: 401,
      details: { oauthError: 'invalid_client' },
    });
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('treats a 401 to a freshly refreshed token as a dead credential, and notices when it works again', async () => {
    let nowMs = Date.parse('2030-01-01T00:00:00.000Z');
    const { fake, adapter, tokenRequests } = await open({}, { now: () => nowMs });
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    fake.injectFault({ status: 401, times: 2, method: 'GET', path: /^\/v2\/conferenceRecords$/ });
    await expect(adapter.pollEvents!({ verificationId: 'vrf_1', providerCallId })).rejects.toMatchObject({
      code: 'PROVIDER_CREDENTIALS_INVALID',
      message: expect.stringContaining('freshly refreshed'),
    });
    expect(tokenRequests()).toBe(2);
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
    nowMs += 60_000;
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('says so when the auth client has nothing to authenticate with', async () => {
    const fake = await startGoogleMeetFake();
    fakes.push(fake);
    const adapter = googleMeet({ auth: new auth.OAuth2({}), rootUrl: fake.rootUrl });
    await expect(adapter.createCall(request(fake.deviceUser))).rejects.toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', details: { source: 'auth-client' } });
    expect(fake.requests).toEqual([]);
  });
});

describe('google-meet errors and retries', () => {
  it('maps a missing scope to PROVIDER_REJECTED, which a person must fix but which is not a dead grant', async () => {
    const { fake, adapter } = await open({ scopes: ['https://www.googleapis.com/auth/meetings.space.readonly'] });
    await expect(adapter.createCall(request(fake.deviceUser))).rejects.toMatchObject({
      code: 'PROVIDER_REJECTED',
      statusCode: 403,
      details: { googleStatus: 'PERMISSION_DENIED' },
    });
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('fails at once on a Retry-After longer than the cap, and backs off on 5xx for reads only', async () => {
    const { fake, adapter, sleeps } = await open({}, { maxRetryAfterMs: 5_000 });
    fake.failNext('create', { status: 429, headers: { 'retry-after': '30' } });
    await expect(adapter.createCall(request(fake.deviceUser))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', statusCode: 429, retryAfterMs: 30_000 });
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    fake.injectFault({ status: 503, times: 3, method: 'GET' });
    await expect(adapter.pollEvents!({ verificationId: 'v', providerCallId })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', statusCode: 503 });
    expect(sleeps).toEqual([200, 400]);
  });

  it('retries a timed-out read but not a timed-out create', async () => {
    const { fake, adapter, sleeps } = await open({}, { timeoutMs: 100 });
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    fake.setLatency(400);
    await expect(adapter.pollEvents!({ verificationId: 'v', providerCallId })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', message: expect.stringMatching(/timed out/) });
    expect(sleeps).toEqual([200, 400]);
    await expect(adapter.createCall(request(fake.deviceUser))).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(sleeps).toEqual([200, 400]);
  });

  it('ends a conference, and counts an empty space or an unknown one as ended, but not other refusals', async () => {
    const { fake, adapter } = await open();
    const { providerCallId } = await adapter.createCall(request(fake.deviceUser));
    await fake.play('ops-joined', providerCallId);
    await adapter.endCall({ verificationId: 'v', providerCallId });
    expect(fake.holdsCall(providerCallId)).toBe(false);
    const ended = await adapter.pollEvents!({ verificationId: 'v', providerCallId });
    expect(ended.map((e) => e.type)).toEqual(['call.started', 'participant.joined', 'participant.left', 'call.ended']);
    await adapter.endCall({ verificationId: 'v', providerCallId });
    await adapter.endCall({ verificationId: 'v', providerCallId: 'spaces/doesNotExist1' });
    fake.failNext('end', { status: 400 });
    await expect(adapter.endCall({ verificationId: 'v', providerCallId })).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 400 });
  });

  it('refuses anything posted to its webhook URL: Meet sends this adapter none', async () => {
    const { adapter } = await open();
    await expect(adapter.verifyWebhook({ method: 'POST', url: '/', headers: {}, rawBody: new Uint8Array(), receivedAtMs: 0 })).rejects.toMatchObject({
      code: 'WEBHOOK_INVALID',
    });
  });
});

describe('google-meet configuration', () => {
  it('names the missing settings, refuses a device handle that is not a Google user, and reads the environment', async () => {
    const names = ['GOOGLE_MEET_CLIENT_ID', 'GOOGLE_MEET_CLIENT_SECRET', 'GOOGLE_MEET_REFRESH_TOKEN'] as const;
    const saved = names.map((name) => process.env[name]);
    for (const name of names) delete process.env[name];
    try {
      expect(await googleMeet({ clientId: 'id' }).health()).toEqual({
        ok: false,
        reason: 'google-meet is not configured: pass auth, or set clientSecret (GOOGLE_MEET_CLIENT_SECRET), refreshToken (GOOGLE_MEET_REFRESH_TOKEN)',
      });
      await expect(googleMeet().createCall(request('users/1'))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      const fake = await startGoogleMeetFake();
      fakes.push(fake);
      [process.env.GOOGLE_MEET_CLIENT_ID, process.env.GOOGLE_MEET_CLIENT_SECRET, process.env.GOOGLE_MEET_REFRESH_TOKEN] = [fake.clientId, fake.clientSecret, fake.refreshToken];
      const adapter = googleMeet({ tokenUrl: fake.tokenUrl, rootUrl: fake.rootUrl });
      expect(await adapter.health()).toEqual({ ok: true });
      await expect(adapter.createCall(request('ops@force.example'))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('users/{id}') });
      expect((await adapter.createCall(request(fake.deviceUser))).providerCallId).toMatch(/^spaces\//);
    } finally {
      names.forEach((name, i) => (saved[i] === undefined ? delete process.env[name] : (process.env[name] = saved[i])));
    }
  });

  it('answers to duo as well, and polls rather than waiting for webhooks', () => {
    const adapter = googleMeet();
    expect(adapter).toMatchObject({ provider: 'google-meet', aliases: ['duo'], capabilities: { lifecycle: 'polling', access: 'app', recording: true } });
    expect(googleMeet({ access: 'browser' }).capabilities.access).toBe('browser');
  });

  // With its token kept fresh (the default) the adapter loads the client when it is made, to fetch the token.
  it('loads @googleapis/meet only when the built adapter is first used, when it does not fetch its token at start', () => {
    const root = new URL('../..', import.meta.url).pathname;
    const dir = mkdtempSync(join(tmpdir(), 'vcb-meet-imports-'));
    const log = join(dir, 'imports.log');
    const script = [
      "import { appendFileSync } from 'node:fs';",
      "const { googleMeet } = await import('verification-call-bridge/adapters/google-meet');",
      "const adapter = googleMeet({ clientId: 'a', clientSecret: 'b', refreshToken: 'c', keepTokenFresh: false });",
      "appendFileSync(process.env.VCB_IMPORT_LOG, 'MARK\\n');",
      'await adapter.health();',
    ].join('\n');
    try {
      execFileSync(process.execPath, ['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', script], {
        cwd: root,
        env: { ...process.env, VCB_IMPORT_LOG: log },
        stdio: 'pipe',
      });
      const [before, after] = readFileSync(log, 'utf8').split('MARK\n') as [string, string];
      expect(before).toContain('/dist/adapters/google-meet.js');
      expect(before).not.toContain('@googleapis');
      expect(after).toContain('@googleapis/meet');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
