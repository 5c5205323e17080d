import { afterEach, describe, expect, it } from 'vitest';
import { teams, type GraphTokenCredential, type TeamsAdapterOptions } from '../../src/adapters/teams.js';
import { BridgeError, createBridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startTeamsFake, startWebhookReceiver, type TeamsFake } from '../../src/testing/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function fakeTeams(options: Parameters<typeof startTeamsFake>[0] = {}): Promise<TeamsFake> {
  const fake = await startTeamsFake(options);
  cleanups.push(() => fake.close());
  return fake;
}

function adapterFor(fake: TeamsFake, extra: Partial<TeamsAdapterOptions> = {}) {
  return teams({
    ...fake.adapterOptions,
    ...extra,
  });
}

const requestFor = (fake: TeamsFake) => ({
  verificationId: 'vrf_1',
  flow: 'citizen-device' as const,
  device: { id: 'dev', handle: fake.userId },
  expiresAt: '2030-01-01T00:30:00.000Z',
});

const tokenRequests = (fake: TeamsFake) => fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));

describe('teams adapter requests', () => {
  it('gets an app-only token and creates a meeting under the device user, sending what Graph documents', async () => {
    const fake = await fakeTeams();
    const created = await adapterFor(fake).createCall(requestFor(fake));
    const [token, create] = fake.requests;
    expect(token).toMatchObject({ method: 'POST', path: `/${fake.tenantId}/oauth2/v2.0/token` });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token!.body).toEqual({
      client_id: fake.clientId,
      scope: 'https://graph.microsoft.com/.default',
      client_secret: fake.clientSecret,
      grant_type: 'client_credentials',
    });
    expect(create).toMatchObject({ method: 'POST', path: `/v1.0/users/${fake.userId}/onlineMeetings` });
    expect(create!.headers.authorization).toBe(`Bearer ${fake.issuedTokens()[0]}`);
    expect(create!.body).toMatchObject({ endDateTime: '2030-01-01T00:30:00.000Z', subject: 'Police officer verification call' });
    expect(Date.parse((create!.body as { startDateTime: string }).startDateTime)).toBeGreaterThan(Date.now() - 60_000);

    const [meeting] = fake.meetings();
    expect(created.providerCallId).toBe(meeting!.id);
    expect(created.opsDevice.url).toBe(meeting!.joinWebUrl);
    expect(created.otherSide.url).toBe(meeting!.joinWebUrl);
    expect(created.providerCreatedAt?.value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
    expect(created.evidence).toEqual({
      organizerUserId: fake.userId,
      threadId: meeting!.threadId,
      endDateTime: '2030-01-01T00:30:00.0000000Z',
      liveStatesFrom: 'operator',
      timingsFrom: 'graph-call-record',
    });
    expect(fake.holdsCall(created.providerCallId)).toBe(true);
  });

  it('deletes the meeting at the end (204), and counts a meeting already gone as ended', async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake);
    const created = await adapter.createCall(requestFor(fake));
    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId });
    const deletion = fake.requests.at(-1)!;
    expect(deletion.method).toBe('DELETE');
    // Graph's meeting ids are base64: the slashes and pluses must reach Graph encoded, as one path segment.
    expect(decodeURIComponent(deletion.path)).toBe(`/v1.0/users/${fake.userId}/onlineMeetings/${created.providerCallId}`);
    expect(fake.holdsCall(created.providerCallId)).toBe(false);
    await expect(adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId })).resolves.toBeUndefined();
    await expect(adapter.endCall({ verificationId: 'vrf_2', providerCallId: 'never-created' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('refuses a device handle that is not an Entra object id, before any Graph request', async () => {
    const fake = await fakeTeams();
    const request = { ...requestFor(fake), device: { id: 'dev', handle: 'ops-device@force.example' } };
    const adapter = adapterFor(fake);
    await adapter.ready!();
    await expect(adapter.createCall(request)).rejects.toMatchObject({ code: 'INVALID_CONFIG', provider: 'teams' });
    expect(fake.requests.filter((r) => r.path.startsWith('/v1.0/'))).toEqual([]);
  });

  it('reports a user outside the application access policy as a refusal, with Graph\'s answer kept', async () => {
    const fake = await fakeTeams({ accessPolicyUserIds: [] });
    const failure = await adapterFor(fake).createCall(requestFor(fake)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 403 });
    expect((failure as BridgeError).responseBody).toContain('No application access policy');
  });

  it('declares operator-attested lifecycle, app access, no recording, and skype as an alias', () => {
    const adapter = teams();
    expect(adapter.provider).toBe('teams');
    expect(adapter.aliases).toEqual(['skype']);
    expect(adapter.capabilities).toMatchObject({ lifecycle: 'operator', access: 'app', recording: false });
  });
});

describe('teams access token', () => {
  it('is asked for when the adapter is made, so a create is one Graph request sent after the token came', async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake);
    await adapter.ready!();
    const [token] = fake.requests;
    expect(token).toMatchObject({ method: 'POST', path: `/${fake.tenantId}/oauth2/v2.0/token`, answeredTick: expect.any(Number) });
    await adapter.createCall(requestFor(fake));
    expect(fake.requests.map((r) => r.path)).toEqual([`/${fake.tenantId}/oauth2/v2.0/token`, `/v1.0/users/${fake.userId}/onlineMeetings`]);
    expect(fake.requests[1]!.receivedTick).toBeGreaterThan(token!.answeredTick!);
  });

  it('marks a secret refused at start as a dead credential before any call', async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake, { clientSecret: 'not-the-secret' });
    await adapter.ready!();
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('caches the token, and refreshes it shortly before expiry with one refresh in flight', async () => {
    let clock = Date.parse('2029-06-01T12:00:00.000Z');
    const now = () => clock;
    const fake = await fakeTeams({ now });
    const adapter = adapterFor(fake, { now });
    await adapter.createCall(requestFor(fake));
    await adapter.createCall(requestFor(fake));
    expect(tokenRequests(fake)).toHaveLength(1);
    // 3599 s tokens are refreshed 60 s early: at 3540 s a new one is asked for, once for two concurrent calls.
    clock += 3_540_000;
    await Promise.all([adapter.createCall(requestFor(fake)), adapter.createCall(requestFor(fake))]);
    expect(tokenRequests(fake)).toHaveLength(2);
    const bearers = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/onlineMeetings')).map((r) => r.headers.authorization);
    expect(new Set(bearers)).toEqual(new Set(fake.issuedTokens().map((t) => `Bearer ${t}`)));
  });

  it('treats a token Graph calls expired as expired: refreshes it and retries once, and stays healthy', async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake);
    await adapter.createCall(requestFor(fake));
    fake.expireAccessTokens();
    await expect(adapter.createCall(requestFor(fake))).resolves.toMatchObject({ providerCallId: expect.any(String) });
    expect(tokenRequests(fake)).toHaveLength(2);
    const creates = fake.requests.filter((r) => r.path.endsWith('/onlineMeetings'));
    expect(creates.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${fake.issuedTokens()[0]}`,
      `Bearer ${fake.issuedTokens()[0]}`,
      `Bearer ${fake.issuedTokens()[1]}`,
    ]);
    expect(await adapter.health()).toEqual({ ok: true });
  });

  it('tells a dead credential apart: a revoked secret marks it unhealthy with a reason, and never shows the secret', async () => {
    let clock = Date.parse('2029-06-01T12:00:00.000Z');
    const now = () => clock;
    const fake = await fakeTeams({ now });
    const adapter = adapterFor(fake, { now });
    await adapter.createCall(requestFor(fake));
    fake.revokeCredentials();
    const failure = await adapter.createCall(requestFor(fake)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', provider: 'teams' });
    const health = await adapter.health();
    expect(health).toMatchObject({ ok: false, credentialsInvalid: true });
    expect(health.reason).toMatch(/credential/);
    const shown = JSON.stringify({ health, message: (failure as BridgeError).message, body: (failure as BridgeError).responseBody, summary: (failure as BridgeError).toSummary() });
    expect(shown).not.toContain(fake.clientSecret);
    for (const token of fake.issuedTokens()) expect(shown).not.toContain(token);
    // health() asks the identity platform again at most once a minute.
    const asked = tokenRequests(fake).length;
    await adapter.health();
    expect(tokenRequests(fake)).toHaveLength(asked);
    clock += 61_000;
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
    expect(tokenRequests(fake)).toHaveLength(asked + 1);
  });

  it("reads the identity platform's 401 invalid_client for a wrong secret as a dead credential", async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake, { clientSecret: 'not-the-secret' });
    const failure = await adapter.createCall(requestFor(fake)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', statusCode: 401 });
    expect((failure as BridgeError).responseBody).toContain('AADSTS7000215');
    expect(fake.requests.filter((r) => r.path.startsWith('/v1.0/'))).toEqual([]);
    expect(await adapter.health()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('takes any getToken(scope) credential instead of a secret', async () => {
    const fake = await fakeTeams();
    const scopes: string[] = [];
    // Stands in for an @azure/identity credential: it gets its token from the same token endpoint.
    const credential: GraphTokenCredential = {
      async getToken(scope) {
        scopes.push(scope);
        const response = await fetch(`${fake.origin}/${fake.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: fake.clientId, client_secret: fake.clientSecret, scope, grant_type: 'client_credentials' }),
        });
        const body = (await response.json()) as { access_token: string; expires_in: number };
        return { token: body.access_token, expiresOnTimestamp: Date.now() + body.expires_in * 1000 };
      },
    };
    const adapter = teams({ credential, clientState: fake.clientState, authorityUrl: 'http://127.0.0.1:9', graphUrl: fake.origin });
    expect(await adapter.health()).toEqual({ ok: true });
    await adapter.createCall(requestFor(fake));
    await adapter.createCall(requestFor(fake));
    expect(scopes).toEqual(['https://graph.microsoft.com/.default']);
  });

  const nullToken: GraphTokenCredential['getToken'] = async () => null;
  const refused: GraphTokenCredential['getToken'] = async () => Promise.reject(Object.assign(new Error('AADSTS7000215'), { statusCode: 401 }));
  const unreachable: GraphTokenCredential['getToken'] = async () => Promise.reject(new Error('ECONNREFUSED'));
  it.each([
    ['returns null', 'PROVIDER_CREDENTIALS_INVALID', nullToken],
    ['throws a 401 like @azure/identity', 'PROVIDER_CREDENTIALS_INVALID', refused],
    ['cannot reach its endpoint', 'PROVIDER_UNAVAILABLE', unreachable],
  ] as const)('a credential that %s is reported as %s', async (_name, code, getToken) => {
    const fake = await fakeTeams();
    const adapter = teams({ credential: { getToken }, clientState: fake.clientState, graphUrl: fake.origin });
    await expect(adapter.createCall(requestFor(fake))).rejects.toMatchObject({ code });
    expect((await adapter.health()).credentialsInvalid === true).toBe(code === 'PROVIDER_CREDENTIALS_INVALID');
  });
});

describe('teams configuration', () => {
  const variables = ['TEAMS_TENANT_ID', 'TEAMS_CLIENT_ID', 'TEAMS_CLIENT_SECRET', 'TEAMS_CLIENT_STATE'] as const;

  it('reports itself unhealthy, naming the setting, until every credential is set; reads the environment lazily', async () => {
    const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
    for (const name of variables) delete process.env[name];
    try {
      expect(await teams({}).health()).toEqual({ ok: false, reason: 'teams is not configured: set tenantId or TEAMS_TENANT_ID' });
      expect((await teams({ tenantId: 't', clientId: 'c', clientState: 's' }).health()).reason).toContain('TEAMS_CLIENT_SECRET');
      expect((await teams({ tenantId: 't', clientId: 'c', clientSecret: 'x' }).health()).reason).toContain('TEAMS_CLIENT_STATE');
      expect(await teams({ credential: { getToken: async () => null }, clientState: 's' }).health()).toEqual({ ok: true });
      const fake = await fakeTeams();
      const adapter = teams({ authorityUrl: fake.origin, graphUrl: fake.origin });
      await expect(adapter.createCall(requestFor(fake))).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      process.env.TEAMS_TENANT_ID = fake.tenantId;
      process.env.TEAMS_CLIENT_ID = fake.clientId;
      process.env.TEAMS_CLIENT_SECRET = fake.clientSecret;
      process.env.TEAMS_CLIENT_STATE = fake.clientState;
      expect(await adapter.health()).toEqual({ ok: true });
      await expect(adapter.createCall(requestFor(fake))).resolves.toMatchObject({ providerCallId: expect.any(String) });
    } finally {
      for (const name of variables) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});

describe('teams call-record subscription', () => {
  it('subscribes once Graph has validated the webhook, renews and deletes the subscription', async () => {
    let clock = Date.parse('2029-06-01T12:00:00.000Z');
    const now = () => clock;
    const fake = await fakeTeams({ now });
    const adapter = adapterFor(fake, { now });
    const store = memoryStore();
    const bridge = createBridge({ store, adapters: [adapter], rooms: [], personalDataKey: Buffer.alloc(32, 7), sandbox: true });
    cleanups.push(() => store.close(), () => bridge.close());
    const receiver = await startWebhookReceiver(bridge);
    cleanups.push(() => receiver.close());

    const subscription = await adapter.subscribe({ notificationUrl: receiver.urlFor('teams') });
    const sent = fake.requests.find((r) => r.path === '/v1.0/subscriptions')!;
    expect(sent.body).toEqual({
      changeType: 'created,updated',
      notificationUrl: receiver.urlFor('teams'),
      resource: '/communications/callRecords',
      expirationDateTime: '2029-06-03T12:00:00.000Z',
      clientState: fake.clientState,
    });
    expect(subscription).toEqual({ id: expect.any(String), expirationDateTime: '2029-06-03T12:00:00.0000000Z', resource: '/communications/callRecords' });
    expect(fake.subscriptions().map((s) => s.id)).toEqual([subscription.id]);

    clock += 86_400_000;
    const renewed = await adapter.renewSubscription(subscription.id, 60);
    expect(renewed).toMatchObject({ id: subscription.id, expirationDateTime: '2029-06-02T13:00:00.0000000Z' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', path: `/v1.0/subscriptions/${subscription.id}`, body: { expirationDateTime: '2029-06-02T13:00:00.000Z' } });

    await adapter.deleteSubscription(subscription.id);
    expect(fake.subscriptions()).toEqual([]);
    await expect(adapter.deleteSubscription(subscription.id)).resolves.toBeUndefined();
  });

  it('fails to subscribe when the notification URL does not echo the validation token', async () => {
    const fake = await fakeTeams();
    const adapter = adapterFor(fake);
    const store = memoryStore();
    const bridge = createBridge({ store, adapters: [adapter], rooms: [], personalDataKey: Buffer.alloc(32, 7) });
    cleanups.push(() => store.close(), () => bridge.close());
    const receiver = await startWebhookReceiver(bridge);
    cleanups.push(() => receiver.close());
    // No adapter is registered under this name, so the bridge answers 404 instead of the token.
    const failure = await adapter.subscribe({ notificationUrl: receiver.urlFor('nobody') }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'PROVIDER_REJECTED', statusCode: 400 });
    expect((failure as BridgeError).responseBody).toContain('validation');
    expect(fake.subscriptions()).toEqual([]);
  });
});
