import { afterEach, describe, expect, it, vi } from 'vitest';
import { BridgeError, type Bridge, type IncomingWebhook, type WebhookHandlerOptions, type WebhookOutcome } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { transports, UNDECODABLE_PATHS, type OpenTransport, type WebhookTransport } from '../support/webhook-transports.js';

type Received = { provider: string; request: IncomingWebhook };

function recordingBridge(reply: (received: Received) => WebhookOutcome | Promise<WebhookOutcome> = okReply): Pick<Bridge, 'handleWebhook'> & { received: Received[] } {
  const received: Received[] = [];
  return {
    received,
    handleWebhook: (provider, request) => {
      received.push({ provider, request });
      return Promise.resolve(reply({ provider, request }));
    },
  };
}

function okReply({ provider, request }: Received): WebhookOutcome {
  return { reply: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider, bytes: request.rawBody.length }) }, logged: [], duplicates: 0 };
}

// A small seeded generator, so a failing path can be found again.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPath(next: () => number): string {
  const alphabet = '%%%%0123456789abcdefABCDEFxyz/-._~!$&\'()*+,;=:@?';
  let tail = '';
  const length = 1 + Math.floor(next() * 12);
  for (let i = 0; i < length; i += 1) tail += alphabet[Math.floor(next() * alphabet.length)];
  return `/webhooks/${tail}`;
}

describe.each(transports)('the $name never throws and never hangs', (transport: WebhookTransport) => {
  let served: OpenTransport | undefined;
  let box: Sandbox | undefined;
  afterEach(async () => {
    await served?.close();
    await box?.close();
    served = undefined;
    box = undefined;
  });
  const open = async (bridge: Pick<Bridge, 'handleWebhook'>, options?: WebhookHandlerOptions) => (served = await transport.open(bridge, options));

  it('answers 400 for every path whose percent-encoding does not decode, without calling the bridge', async () => {
    const bridge = recordingBridge();
    const http = await open(bridge);
    for (const path of UNDECODABLE_PATHS) {
      const answer = await http.send('POST', path, '{}');
      expect([path, answer.status, JSON.parse(answer.body)]).toEqual([path, 400, { error: 'MALFORMED_PATH' }]);
    }
    expect(bridge.received).toEqual([]);
  });

  it('answers 1,000 random paths with a 4xx and keeps serving', async () => {
    box = await openSandbox();
    const http = await open(box.bridge);
    const next = random(10);
    const statuses = new Set<number>();
    for (let i = 0; i < 1000; i += 1) {
      const path = randomPath(next);
      const answer = await http.send('POST', path, '{}');
      if (answer.status < 400 || answer.status > 499) throw new Error(`${path} answered ${answer.status}`);
      statuses.add(answer.status);
    }
    expect([...statuses].sort()).toEqual([400, 404]);
    const ping = await http.send('POST', '/webhooks/daily', JSON.stringify({ test: 'test' }));
    expect(ping.status).toBe(200);
  });

  it('hands the bridge the decoded provider, the path with its query and the raw bytes', async () => {
    const bridge = recordingBridge();
    const http = await open(bridge);
    const answer = await http.send('POST', '/webhooks/google%2Dmeet?validationToken=a%20b', '{"a": 1}', { 'X-Signature': 'abc' });
    expect(answer.status).toBe(200);
    const [{ provider, request }] = bridge.received as [Received];
    expect(provider).toBe('google-meet');
    expect(request).toMatchObject({ method: 'POST', url: '/webhooks/google%2Dmeet?validationToken=a%20b', headers: { 'x-signature': 'abc' } });
    expect(Buffer.from(request.rawBody).toString()).toBe('{"a": 1}');
  });

  it('answers 500 when the bridge throws, rejects, resolves to nothing or replies with what HTTP cannot carry, and keeps serving', async () => {
    const replies: Array<() => WebhookOutcome | Promise<WebhookOutcome>> = [
      () => {
        throw new TypeError('a bug in the bridge');
      },
      () => Promise.reject(new BridgeError('STORE_FAILED', 'the database is gone')),
      () => ({ reply: { status: 42, body: 'no such status' }, logged: [], duplicates: 0 }),
      () => undefined as unknown as WebhookOutcome,
      () => ({ reply: { status: 200, headers: { 'bad header': 'x' }, body: '' }, logged: [], duplicates: 0 }),
    ];
    let call = 0;
    const http = await open(recordingBridge((received) => (replies[call++] ?? (() => okReply(received)))()));
    const answers = [];
    for (let i = 0; i <= replies.length; i += 1) answers.push(await http.send('POST', '/webhooks/daily', '{}'));
    expect(answers.map((a) => [a.status, JSON.parse(a.body)])).toEqual([
      [500, { error: 'INTERNAL' }],
      [500, { error: 'STORE_FAILED' }],
      [500, { error: 'INTERNAL' }],
      [500, { error: 'INTERNAL' }],
      [500, { error: 'INTERNAL' }],
      [200, { provider: 'daily', bytes: 2 }],
    ]);
  });

  it('refuses with 413 a body sent without Content-Length once it passes the limit', async () => {
    const bridge = recordingBridge();
    const http = await open(bridge, { maxBodyBytes: 1000 });
    const answer = await http.send('POST', '/webhooks/daily', { chunks: ['x'.repeat(600), 'x'.repeat(600)] });
    expect([answer.status, JSON.parse(answer.body), answer.headers.connection]).toEqual([413, { error: 'PAYLOAD_TOO_LARGE' }, 'close']);
    expect((await http.send('POST', '/webhooks/daily', { chunks: ['x'.repeat(500), 'x'.repeat(500)] })).status).toBe(200);
    expect(bridge.received.map((r) => r.request.rawBody.length)).toEqual([1000]);
  });

  it('answers 408 and stops reading a body that is not all there within bodyTimeoutMs', async () => {
    const bridge = recordingBridge();
    const http = await open(bridge, { bodyTimeoutMs: 300, minBodyBytesPerSecond: 1 });
    const answer = await http.send('POST', '/webhooks/daily', { dripEveryMs: 20 });
    expect([answer.status, JSON.parse(answer.body), answer.headers.connection]).toEqual([408, { error: 'BODY_TIMEOUT' }, 'close']);
    await vi.waitFor(() => expect(http.dripsStopped()).toBe(1));
    expect(bridge.received).toEqual([]);
  });

  it('answers 408 for a body that falls behind the minimum rate, long before the timeout', async () => {
    const bridge = recordingBridge();
    const http = await open(bridge, { bodyTimeoutMs: 600_000, minBodyBytesPerSecond: 10_000 });
    const answer = await http.send('POST', '/webhooks/daily', { dripEveryMs: 50 });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([408, { error: 'BODY_TIMEOUT' }]);
    await vi.waitFor(() => expect(http.dripsStopped()).toBe(1));
  });
});
