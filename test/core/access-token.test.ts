import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeError } from '../../src/core/errors.js';
import { createAccessTokenSource, createOAuthHttpClient } from '../../src/core/http/access-token.js';
import { createHealthTracker } from '../../src/core/http/health-tracker.js';
import { createProviderHttpClient } from '../../src/core/http/provider-http.js';

const CLIENT_SECRET = 'client-secret-5f4e3d2c1b0a';

// An OAuth server and an API behind it: tokens are `t1`, `t2`, …; the API accepts only tokens it is told are live.
let server: Server;
let baseUrl: string;
let issued = 0;
let tokenBodies: string[] = [];
let tokenAnswer: { status: number; body: unknown } | undefined;
let live = new Set<string>();
let expiresIn = 3600;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/oauth/token') {
        tokenBodies.push(`${req.headers['content-type']} ${Buffer.concat(chunks).toString('utf8')}`);
        if (tokenAnswer) {
          res.writeHead(tokenAnswer.status).end(JSON.stringify(tokenAnswer.body));
          return;
        }
        issued += 1;
        live.add(`t${issued}`);
        res.end(JSON.stringify({ access_token: `t${issued}`, token_type: 'bearer', expires_in: expiresIn }));
        return;
      }
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (!live.has(token)) {
        res.writeHead(401).end(JSON.stringify({ code: 124, message: 'Invalid access token.' }));
        return;
      }
      res.end(JSON.stringify({ ok: true, token }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  issued = 0;
  tokenBodies = [];
  tokenAnswer = undefined;
  live = new Set();
  expiresIn = 3600;
});

function setup(clock = { ms: Date.UTC(2026, 10, 27, 12) }, keepFresh = false) {
  const health = createHealthTracker({ now: () => clock.ms });
  const tokenClient = createProviderHttpClient({
    provider: 'zoom',
    baseUrl,
    headers: () => ({ authorization: `Basic ${Buffer.from(`id:${CLIENT_SECRET}`).toString('base64')}` }),
    sleep: async () => undefined,
  });
  const tokens = createAccessTokenSource({
    provider: 'zoom',
    now: () => clock.ms,
    issue: async () => {
      const { data } = await tokenClient.request<{ access_token: string; expires_in: number }>({
        method: 'POST',
        path: '/oauth/token',
        form: { grant_type: 'account_credentials', account_id: 'acct' },
      });
      return { accessToken: data.access_token, expiresInSeconds: data.expires_in };
    },
    keepFresh,
    onBackgroundOutcome: (error) => health.record(error),
  });
  const api = createOAuthHttpClient({ provider: 'zoom', baseUrl, tokens, health, sleep: async () => undefined });
  return { api, health, clock, tokens };
}

describe('OAuth access tokens', () => {
  it('fetches one token, sends it as a form request, and reuses it until shortly before expiry', async () => {
    const { api, clock } = setup();
    expiresIn = 120;
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t1');
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t1');
    expect(tokenBodies).toEqual(['application/x-www-form-urlencoded grant_type=account_credentials&account_id=acct']);
    clock.ms += 59_000;
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t1');
    clock.ms += 2_000;
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t2');
  });

  it('shares one refresh among concurrent requests', async () => {
    const { api } = setup();
    const answers = await Promise.all(Array.from({ length: 6 }, () => api.request<{ token: string }>({ method: 'GET', path: '/me' })));
    expect(new Set(answers.map((a) => a.data.token))).toEqual(new Set(['t1']));
    expect(issued).toBe(1);
  });

  it('refreshes and retries once when the provider refuses a token it issued earlier, staying healthy', async () => {
    const { api, health } = setup();
    await api.request({ method: 'GET', path: '/me' });
    live.delete('t1');
    expect((await api.request<{ token: string }>({ method: 'POST', path: '/meetings', body: {} })).data.token).toBe('t2');
    expect(health.status()).toEqual({ ok: true });
  });

  it('calls a credential dead when a freshly issued token is refused too', async () => {
    const { api, health } = setup();
    await api.request({ method: 'GET', path: '/me' });
    live.clear();
    const refuse = () => live.clear();
    server.on('request', refuse);
    try {
      const error = await api.request({ method: 'GET', path: '/me' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BridgeError);
      expect(error).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', statusCode: 401 });
      expect((error as BridgeError).message).toMatch(/freshly issued/);
    } finally {
      server.off('request', refuse);
    }
    expect(health.status()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('calls a credential dead when the token endpoint refuses the client, without echoing the secret', async () => {
    const { api, health } = setup();
    tokenAnswer = { status: 400, body: { reason: 'Invalid client_id or client_secret', error: 'invalid_client' } };
    const error = await api.request({ method: 'GET', path: '/me' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', statusCode: 400 });
    expect(JSON.stringify((error as BridgeError).toSummary())).not.toContain(CLIENT_SECRET);
    expect(health.status()).toMatchObject({ ok: false, credentialsInvalid: true });
    tokenAnswer = undefined;
    await api.request({ method: 'GET', path: '/me' });
    expect(health.status()).toEqual({ ok: true });
  });

  it('reports the token endpoint refusing the client when a refresh after a 401 is refused', async () => {
    const { api, health } = setup();
    await api.request({ method: 'GET', path: '/me' });
    live.clear();
    tokenAnswer = { status: 401, body: { error: 'invalid_client' } };
    const error = await api.request({ method: 'GET', path: '/me' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_CREDENTIALS_INVALID', statusCode: 401 });
    expect((error as BridgeError).message).toMatch(/oauth\/token answered 401/);
    expect((error as BridgeError).message).not.toMatch(/freshly issued/);
    expect(health.status()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('treats a token endpoint outage as unavailability, not a dead credential', async () => {
    const { api, health } = setup();
    tokenAnswer = { status: 503, body: { error: 'temporarily_unavailable' } };
    await expect(api.request({ method: 'GET', path: '/me' })).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
    expect(health.status()).toEqual({ ok: true });
  });

  it('refuses a token response without a token or a lifetime', async () => {
    const tokens = createAccessTokenSource({ provider: 'teams', issue: async () => ({ accessToken: '', expiresInSeconds: 3600 }) });
    await expect(tokens.token()).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
    const noLifetime = createAccessTokenSource({ provider: 'teams', issue: async () => ({ accessToken: 'x', expiresInSeconds: Number.NaN }) });
    await expect(noLifetime.token()).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
  });
});

describe('OAuth access tokens kept fresh', () => {
  it('fetches a token as soon as the source is made, so the first request sends no token request', async () => {
    const { api, tokens } = setup(undefined, true);
    await tokens.ready();
    expect(issued).toBe(1);
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t1');
    expect(tokenBodies).toHaveLength(1);
  });

  it('fetches the next token in the background before the cached one would be refreshed in line', async () => {
    const clock = { ms: Date.UTC(2026, 10, 27, 12) };
    // Two seconds of life: refreshed in line after one second, fetched ahead after half of that.
    expiresIn = 2;
    const { api, tokens } = setup(clock, true);
    await tokens.ready();
    // The next token lives an hour, so this test leaves no fetch behind it.
    expiresIn = 3600;
    await vi.waitFor(() => expect(issued).toBe(2), { timeout: 10_000, interval: 20 });
    clock.ms += 1_500;
    expect((await api.request<{ token: string }>({ method: 'GET', path: '/me' })).data.token).toBe('t2');
    expect(issued).toBe(2);
  });

  it('marks the credential dead when the token endpoint refuses the fetch made at start, and ready() still resolves', async () => {
    tokenAnswer = { status: 400, body: { error: 'invalid_client' } };
    const { health, tokens } = setup(undefined, true);
    await expect(tokens.ready()).resolves.toBeUndefined();
    expect(health.status()).toMatchObject({ ok: false, credentialsInvalid: true });
  });

  it('fetches nothing ahead unless asked to', async () => {
    const { tokens } = setup();
    await tokens.ready();
    expect(issued).toBe(0);
  });
});
