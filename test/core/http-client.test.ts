import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/core/errors.js';
import { createHealthTracker } from '../../src/core/http/health-tracker.js';
import { createProviderHttpClient, type ProviderHttpOptions } from '../../src/core/http/provider-http.js';
import { parseRetryAfter } from '../../src/core/http/retry-after.js';

interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (request: SeenRequest, response: ServerResponse, count: number) => void;

let server: Server;
let baseUrl: string;
let seen: SeenRequest[] = [];
let handler: Handler = (_req, res) => res.end();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(request);
      handler(request, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  // The first fetch in a process loads undici lazily; warm it up so the short timeouts below measure
  // the server, not module loading.
  await (await fetch(`${baseUrl}warm-up`)).text();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  handler = (_req, res) => res.end();
});

const SECRET = 'sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function client(overrides: Partial<ProviderHttpOptions> = {}): { http: ReturnType<typeof createProviderHttpClient>; sleeps: number[] } {
  const sleeps: number[] = [];
  const http = createProviderHttpClient({
    provider: 'fakeprov',
    baseUrl,
    headers: () => ({ authorization: `Bearer ${SECRET}` }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { http, sleeps };
}

async function failure(promise: Promise<unknown>): Promise<BridgeError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(BridgeError.isInstance(caught), `expected a BridgeError, got ${String(caught)}`).toBe(true);
  return caught as BridgeError;
}

describe('provider HTTP client: success', () => {
  it('parses a 2xx JSON body, sends the JSON body and headers, and joins the base URL', async () => {
    handler = (_req, res) => json(res, 201, { id: 'room-1', nested: { ok: true } });
    const { http, sleeps } = client();
    const response = await http.request<{ id: string; nested: { ok: boolean } }>({ method: 'POST', path: '/rooms', body: { name: 'x' } });
    expect(response).toEqual({ status: 201, data: { id: 'room-1', nested: { ok: true } } });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/v1/rooms');
    expect(seen[0]!.body).toBe('{"name":"x"}');
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers.accept).toBe('application/json');
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(sleeps).toEqual([]);
  });

  it('gives undefined data for an empty body and no content-type without a body', async () => {
    handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const { http } = client();
    expect(await http.request({ method: 'DELETE', path: '/rooms/x' })).toEqual({ status: 204, data: undefined });
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('returns a non-JSON 2xx body as text', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('pong');
    };
    const { http } = client();
    expect((await http.request({ method: 'GET', path: '/ping' })).data).toBe('pong');
  });
});

describe('provider HTTP client: status errors', () => {
  it('401 → PROVIDER_CREDENTIALS_INVALID with statusCode and responseBody, not retried', async () => {
    handler = (_req, res) => json(res, 401, { error: 'authentication-error' });
    const { http, sleeps } = client();
    const error = await failure(http.request({ method: 'GET', path: '/rooms' }));
    expect(error.code).toBe('PROVIDER_CREDENTIALS_INVALID');
    expect(error.statusCode).toBe(401);
    expect(error.provider).toBe('fakeprov');
    expect(error.responseBody).toBe('{"error":"authentication-error"}');
    expect(error.isRetryable).toBe(false);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('404 → NOT_FOUND', async () => {
    handler = (_req, res) => json(res, 404, { error: 'not-found' });
    const { http } = client();
    const error = await failure(http.request({ method: 'GET', path: '/rooms/missing' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.statusCode).toBe(404);
    expect(seen).toHaveLength(1);
  });

  it('400 → PROVIDER_REJECTED', async () => {
    handler = (_req, res) => json(res, 400, { error: 'invalid-request-error', info: 'name too long' });
    const { http } = client();
    const error = await failure(http.request({ method: 'POST', path: '/rooms', body: {} }));
    expect(error.code).toBe('PROVIDER_REJECTED');
    expect(error.statusCode).toBe(400);
    expect(error.responseBody).toContain('name too long');
    expect(seen).toHaveLength(1);
  });

  it('keeps at most 2000 characters of the response body', async () => {
    handler = (_req, res) => {
      res.writeHead(400);
      res.end('x'.repeat(5000));
    };
    const { http } = client();
    const error = await failure(http.request({ method: 'GET', path: '/big' }));
    expect(error.responseBody).toHaveLength(2000);
  });
});

describe('provider HTTP client: retries', () => {
  it('retries a GET on 503, then succeeds (2 requests, one sleep)', async () => {
    handler = (_req, res, count) => (count === 1 ? json(res, 503, { error: 'down' }) : json(res, 200, { ok: 1 }));
    const { http, sleeps } = client();
    const response = await http.request({ method: 'GET', path: '/rooms' });
    expect(response).toEqual({ status: 200, data: { ok: 1 } });
    expect(seen).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBe(200);
  });

  it('does not retry a POST on 503', async () => {
    handler = (_req, res) => json(res, 503, { error: 'down' });
    const { http, sleeps } = client();
    const error = await failure(http.request({ method: 'POST', path: '/rooms', body: { a: 1 } }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.statusCode).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a POST after 429 with Retry-After: 3 (sleeps 3000 ms)', async () => {
    handler = (_req, res, count) => (count === 1 ? json(res, 429, { error: 'rate' }, { 'retry-after': '3' }) : json(res, 200, { id: 'r' }));
    const { http, sleeps } = client();
    const response = await http.request({ method: 'POST', path: '/rooms', body: { a: 1 } });
    expect(response.data).toEqual({ id: 'r' });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.body).toBe('{"a":1}');
    expect(sleeps).toEqual([3000]);
  });

  it('reads Retry-After as an HTTP date relative to the injected now', async () => {
    const now = Date.parse('Tue, 21 Oct 2025 07:28:00 GMT');
    handler = (_req, res, count) =>
      count === 1 ? json(res, 429, {}, { 'retry-after': 'Tue, 21 Oct 2025 07:28:04 GMT' }) : json(res, 200, { ok: true });
    const { http, sleeps } = client({ now: () => now });
    await http.request({ method: 'POST', path: '/rooms', body: {} });
    expect(sleeps).toEqual([4000]);
  });

  it('reads Retry-After as an ISO date-time (Zoom style) relative to the injected now', async () => {
    const now = Date.parse('2025-10-21T07:28:00.000Z');
    handler = (_req, res, count) =>
      count === 1 ? json(res, 429, {}, { 'retry-after': '2025-10-21T07:28:02.500Z' }) : json(res, 200, { ok: true });
    const { http, sleeps } = client({ now: () => now });
    await http.request({ method: 'GET', path: '/users/me' });
    expect(sleeps).toEqual([2500]);
  });

  it('fails at once when Retry-After is longer than maxRetryAfterMs, with retryAfterMs set', async () => {
    handler = (_req, res) => json(res, 429, { error: 'daily limit' }, { 'retry-after': '60' });
    const { http, sleeps } = client({ maxRetryAfterMs: 5000 });
    const error = await failure(http.request({ method: 'GET', path: '/rooms' }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.statusCode).toBe(429);
    expect(error.retryAfterMs).toBe(60_000);
    expect(seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('respects maxRetries, backing off exponentially without Retry-After', async () => {
    handler = (_req, res) => json(res, 503, {});
    const three = client({ maxRetries: 3 });
    const error = await failure(three.http.request({ method: 'GET', path: '/rooms' }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(seen).toHaveLength(4);
    expect(three.sleeps).toEqual([200, 400, 800]);

    seen = [];
    const none = client({ maxRetries: 0 });
    await failure(none.http.request({ method: 'GET', path: '/rooms' }));
    expect(seen).toHaveLength(1);
    expect(none.sleeps).toEqual([]);

    seen = [];
    const byDefault = client();
    await failure(byDefault.http.request({ method: 'PUT', path: '/rooms/x', body: {} }));
    expect(seen).toHaveLength(3);
    expect(byDefault.sleeps).toEqual([200, 400]);
  });

  it('calls headers() for every attempt, so a rotated key is used on the retry', async () => {
    handler = (_req, res, count) => (count < 3 ? json(res, 502, {}) : json(res, 200, { ok: true }));
    let calls = 0;
    const { http } = client({
      headers: async () => {
        calls += 1;
        return { authorization: `Bearer key-${calls}` };
      },
    });
    await http.request({ method: 'GET', path: '/rooms' });
    expect(calls).toBe(3);
    expect(seen.map((r) => r.headers.authorization)).toEqual(['Bearer key-1', 'Bearer key-2', 'Bearer key-3']);
  });

  it('times out a server that never answers → PROVIDER_UNAVAILABLE', async () => {
    handler = () => {
      // Never respond.
    };
    const { http, sleeps } = client({ timeoutMs: 100, maxRetries: 0 });
    const error = await failure(http.request({ method: 'GET', path: '/hang' }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('timed out after 100 ms');
    expect(error.statusCode).toBeUndefined();
    // maxRetries 0: one attempt, no wait.
    expect(seen.length).toBeLessThanOrEqual(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a GET after a timeout but not a POST', async () => {
    handler = (_req, res, count) => {
      if (count > 1) json(res, 200, { ok: true });
    };
    const get = client({ timeoutMs: 250 });
    expect((await get.http.request({ method: 'GET', path: '/slow' })).data).toEqual({ ok: true });
    expect(get.sleeps).toEqual([200]);
    expect(seen).toHaveLength(2);

    seen = [];
    handler = () => {};
    const post = client({ timeoutMs: 100 });
    const error = await failure(post.http.request({ method: 'POST', path: '/slow', body: {} }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(seen).toHaveLength(1);
    expect(post.sleeps).toEqual([]);
  });

  // BUG: the per-attempt timeout also covers reading the body, but only fetch() itself is inside the
  // retry loop's try/catch. When the headers arrive and the body then stalls, response.text() throws a
  // TimeoutError straight out of the loop: a GET is not retried (the doc says idempotent requests are
  // retried on timeouts), and the error is the generic "fakeprov request failed" with isRetryable false.
  it('retries a GET whose response body stalls past the timeout, like any other timeout', async () => {
    handler = (_req, res, count) => {
      if (count === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"partial":'); // headers sent, body never finished
        return;
      }
      json(res, 200, { ok: true });
    };
    const { http, sleeps } = client({ timeoutMs: 250 });
    const outcome = await http.request({ method: 'GET', path: '/stall' }).then(
      (response) => ({ data: response.data as unknown, error: undefined }),
      (error: BridgeError) => ({ data: undefined, error: { code: error.code, message: error.message, isRetryable: error.isRetryable } }),
    );
    expect(outcome).toEqual({ data: { ok: true }, error: undefined });
    expect(seen).toHaveLength(2);
    expect(sleeps).toEqual([200]);
  });

  it('reports an unreachable provider as PROVIDER_UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { http } = client({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
    const error = await failure(http.request({ method: 'GET', path: '/x' }));
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.message).toContain('could not be reached');
    expect(error.message).not.toContain(SECRET);
  });

  it('never puts the Authorization header value in error messages', async () => {
    const errors: BridgeError[] = [];
    for (const status of [400, 401, 403, 404, 429, 500, 503]) {
      handler = (_req, res) => json(res, status, { error: 'nope' });
      const { http } = client({ maxRetries: 0 });
      errors.push(await failure(http.request({ method: 'POST', path: '/rooms', body: { n: 1 } })));
    }
    handler = () => {};
    errors.push(await failure(client({ timeoutMs: 100, maxRetries: 0 }).http.request({ method: 'GET', path: '/hang' })));
    for (const error of errors) {
      expect(error.message).not.toContain(SECRET);
      expect(String(error)).not.toContain(SECRET);
      expect(JSON.stringify(error.toSummary())).not.toContain(SECRET);
      expect(error.responseBody ?? '').not.toContain(SECRET);
    }
  });

  it('tells onOutcome of every final outcome', async () => {
    const outcomes: Array<string | undefined> = [];
    handler = (_req, res, count) => (count === 1 ? json(res, 200, {}) : json(res, 401, {}));
    const { http } = client({ onOutcome: (error) => outcomes.push(error?.code) });
    await http.request({ method: 'GET', path: '/a' });
    await failure(http.request({ method: 'GET', path: '/b' }));
    expect(outcomes).toEqual([undefined, 'PROVIDER_CREDENTIALS_INVALID']);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-10-21T07:28:00.000Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads HTTP dates and ISO date-times relative to now, never negative', () => {
    expect(parseRetryAfter('Tue, 21 Oct 2025 07:28:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('2025-10-21T07:29:00Z', now)).toBe(60_000);
    expect(parseRetryAfter('2025-10-21T07:27:00Z', now)).toBe(0);
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('10 seconds', now)).toBeUndefined();
  });

  // BUG: anything that is not all digits goes to Date.parse, and V8's lenient legacy parser reads
  // strings such as "1.5" or "abc 5" as dates in 2001, so the function returns 0 (retry at once)
  // instead of undefined ("unreadable", per its doc comment) — a rate-limited request is then
  // repeated with no back-off at all.
  it('does not read a decimal or junk value as a date in 2001', () => {
    expect([undefined, 1500]).toContain(parseRetryAfter('1.5', now));
    expect(parseRetryAfter('abc 5', now)).toBeUndefined();
  });
});

describe('health tracker', () => {
  const unavailable = (message = 'zoom GET /users answered 503'): BridgeError =>
    new BridgeError('PROVIDER_UNAVAILABLE', message, { provider: 'zoom', statusCode: 503 });
  const credentials = new BridgeError('PROVIDER_CREDENTIALS_INVALID', 'zoom GET /users answered 401', { provider: 'zoom', statusCode: 401 });

  it('starts healthy', () => {
    expect(createHealthTracker().status()).toEqual({ ok: true });
  });

  it('a credential failure makes it unhealthy with credentialsInvalid until a success, whatever the time', () => {
    let now = 1_000_000;
    const tracker = createHealthTracker({ now: () => now });
    tracker.record(credentials);
    expect(tracker.status()).toEqual({ ok: false, credentialsInvalid: true, reason: expect.stringContaining('401') });
    now += 10 * 60_000;
    expect(tracker.status().ok).toBe(false);
    expect(tracker.status().credentialsInvalid).toBe(true);
    tracker.record(unavailable());
    expect(tracker.status().credentialsInvalid).toBe(true);
    tracker.record(undefined);
    expect(tracker.status()).toEqual({ ok: true });
  });

  it('3 consecutive unavailability errors make it unhealthy until the cooldown passes', () => {
    let now = 1_000_000;
    const tracker = createHealthTracker({ now: () => now, cooldownMs: 30_000 });
    tracker.record(unavailable('first'));
    tracker.record(unavailable('second'));
    expect(tracker.status()).toEqual({ ok: true });
    tracker.record(unavailable('third'));
    const status = tracker.status();
    expect(status.ok).toBe(false);
    expect(status.credentialsInvalid).toBeUndefined();
    expect(status.reason).toContain('3 consecutive failures');
    expect(status.reason).toContain('third');

    now += 29_999;
    expect(tracker.status().ok).toBe(false);
    now += 1;
    expect(tracker.status()).toEqual({ ok: true });
  });

  it('a success resets the count and the cooldown', () => {
    let now = 1_000_000;
    const tracker = createHealthTracker({ now: () => now });
    for (let i = 0; i < 3; i += 1) tracker.record(unavailable());
    expect(tracker.status().ok).toBe(false);
    tracker.record(undefined);
    expect(tracker.status()).toEqual({ ok: true });
    // Two more failures are not enough after a reset.
    tracker.record(unavailable());
    tracker.record(unavailable());
    expect(tracker.status()).toEqual({ ok: true });
    now += 1;
    tracker.record(unavailable());
    expect(tracker.status().ok).toBe(false);
  });

  it('ignores errors that say nothing about availability', () => {
    const tracker = createHealthTracker({ now: () => 0 });
    for (let i = 0; i < 5; i += 1) tracker.record(new BridgeError('PROVIDER_REJECTED', 'bad request', { statusCode: 400 }));
    for (let i = 0; i < 5; i += 1) tracker.record(new BridgeError('NOT_FOUND', 'gone', { statusCode: 404 }));
    expect(tracker.status()).toEqual({ ok: true });
  });

  it('honours a custom threshold', () => {
    const tracker = createHealthTracker({ failureThreshold: 1, now: () => 0 });
    tracker.record(unavailable());
    expect(tracker.status().ok).toBe(false);
  });

  it('follows a real client through onOutcome', async () => {
    let now = 5_000_000;
    const tracker = createHealthTracker({ now: () => now, cooldownMs: 1000 });
    const { http } = client({ maxRetries: 0, onOutcome: (error) => tracker.record(error) });

    handler = (_req, res) => json(res, 401, {});
    await failure(http.request({ method: 'GET', path: '/me' }));
    expect(tracker.status()).toMatchObject({ ok: false, credentialsInvalid: true });

    handler = (_req, res) => json(res, 200, {});
    await http.request({ method: 'GET', path: '/me' });
    expect(tracker.status()).toEqual({ ok: true });

    handler = (_req, res) => json(res, 503, {});
    for (let i = 0; i < 3; i += 1) await failure(http.request({ method: 'GET', path: '/me' }));
    expect(tracker.status().ok).toBe(false);
    now += 1000;
    expect(tracker.status()).toEqual({ ok: true });
  });
});
