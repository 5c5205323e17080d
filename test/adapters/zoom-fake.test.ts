import { afterEach, describe, expect, it } from 'vitest';
import { startZoomFake, type ZoomFake, type ZoomFakeOptions } from '../../src/testing/index.js';

let fake: ZoomFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const START = Date.UTC(2026, 10, 27, 12, 0, 0);

async function open(options: ZoomFakeOptions = {}) {
  fake = await startZoomFake({ now: () => START, ...options });
  return fake;
}

function basic(f: ZoomFake, secret = f.clientSecret) {
  return `Basic ${Buffer.from(`${f.clientId}:${secret}`).toString('base64')}`;
}

async function token(f: ZoomFake): Promise<string> {
  const response = await fetch(`${f.oauthBaseUrl}/oauth/token?grant_type=account_credentials&account_id=${f.accountId}`, {
    method: 'POST',
    headers: { authorization: basic(f) },
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function api(f: ZoomFake, method: string, path: string, bearer: string | undefined, body?: unknown) {
  const response = await fetch(`${f.baseUrl}${path}`, {
    method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('zoom fake: Server-to-Server OAuth', () => {
  it('issues a one-hour bearer token with the parameters in the query string, as Zoom documents', async () => {
    const f = await open();
    const response = await fetch(`${f.oauthBaseUrl}/oauth/token?grant_type=account_credentials&account_id=${f.accountId}`, {
      method: 'POST',
      headers: { authorization: basic(f) },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
      scope: expect.any(String),
      api_url: f.oauthBaseUrl,
    });
  });

  it('refuses a wrong grant type, account or secret', async () => {
    const f = await open();
    const post = (query: string, authorization = basic(f)) => fetch(`${f.oauthBaseUrl}/oauth/token?${query}`, { method: 'POST', headers: { authorization } });
    const wrongGrant = await post(`grant_type=client_credentials&account_id=${f.accountId}`);
    expect([wrongGrant.status, await wrongGrant.json()]).toEqual([400, { reason: 'unsupported grant type', error: 'unsupported_grant_type' }]);
    expect((await post('grant_type=account_credentials&account_id=other')).status).toBe(400);
    const wrongSecret = await post(`grant_type=account_credentials&account_id=${f.accountId}`, basic(f, 'wrong'));
    expect([wrongSecret.status, await wrongSecret.json()]).toEqual([400, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' }]);
  });

  it("answers a missing, unknown, expired or revoked bearer with 401 and Zoom's code 124", async () => {
    const f = await open();
    const live = await token(f);
    const invalid = { status: 401, body: { code: 124, message: 'Invalid access token.' } };
    expect(await api(f, 'DELETE', '/meetings/1', undefined)).toMatchObject(invalid);
    expect(await api(f, 'DELETE', '/meetings/1', 'made-up')).toMatchObject(invalid);
    expect(await api(f, 'DELETE', '/meetings/1', live)).toMatchObject({ status: 404, body: { code: 3001 } });
    f.expireAccessTokens();
    expect(await api(f, 'DELETE', '/meetings/1', live)).toMatchObject(invalid);
    const fresh = await token(f);
    f.revokeCredentials();
    expect(await api(f, 'DELETE', '/meetings/1', fresh)).toMatchObject(invalid);
  });
});

describe('zoom fake: meetings', () => {
  it('creates with 201, a numeric id and ISO-seconds created_at, and refuses a field Zoom does not know (code 300)', async () => {
    const f = await open();
    const bearer = await token(f);
    const created = await api(f, 'POST', `/users/${f.host.id}/meetings`, bearer, { topic: 't', type: 2, settings: { join_before_host: false } });
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(Number), created_at: '2026-11-27T12:00:00Z', host_id: f.host.id } });
    expect(created.body!.join_url).toMatch(/^https:\/\/zoom\.us\/j\/\d+\?pwd=/);
    const refused = await api(f, 'POST', `/users/${f.host.id}/meetings`, bearer, { settings: { join_before_hots: false } });
    expect(refused).toMatchObject({ status: 400, body: { code: 300, errors: [{ field: 'settings.join_before_hots' }] } });
    expect(await api(f, 'POST', '/users/someone-else/meetings', bearer, {})).toMatchObject({ status: 404, body: { code: 1001 } });
  });

  it('refuses to delete a meeting in progress (3002) and ends it with a status end (204)', async () => {
    const f = await open();
    const bearer = await token(f);
    const { body } = await api(f, 'POST', `/users/me/meetings`, bearer, {});
    f.meetings()[0]!.status = 'started'; // as when the host has started it
    expect(await api(f, 'DELETE', `/meetings/${body!.id}`, bearer)).toMatchObject({ status: 400, body: { code: 3002 } });
    expect(await api(f, 'PUT', `/meetings/${body!.id}/status`, bearer, { action: 'end' })).toMatchObject({ status: 204 });
    expect(await api(f, 'DELETE', `/meetings/${body!.id}`, bearer)).toMatchObject({ status: 204 });
    expect(f.holdsCall(String(body!.id))).toBe(false);
  });

  it.each([
    ['all', { 'retry-after': '2026-11-28T00:00:00Z', 'x-ratelimit-type': 'Daily-limit', 'x-ratelimit-remaining': '0' }],
    ['retry-after', { 'retry-after': '2026-11-28T00:00:00Z', 'x-ratelimit-type': null }],
    ['none', { 'retry-after': null }],
  ] as const)('answers the 101st create of a user in a UTC day with the documented 429 (headers: %s)', async (rateLimitHeaders, expected) => {
    const f = await open({ createLimitPerUserPerDay: 1, rateLimitHeaders });
    const bearer = await token(f);
    expect((await api(f, 'POST', `/users/me/meetings`, bearer, {})).status).toBe(201);
    const limited = await api(f, 'POST', `/users/${f.host.email}/meetings`, bearer, {});
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      code: 429,
      message: 'You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.',
    });
    for (const [name, value] of Object.entries(expected)) expect(limited.headers.get(name)).toBe(value);
  });
});
