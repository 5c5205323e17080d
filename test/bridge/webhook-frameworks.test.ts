import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressWebhooks, fastifyWebhooks, honoWebhooks } from '../../examples/webhook-frameworks.js';
import { DAILY_SIGNATURE_HEADER, DAILY_TIMESTAMP_HEADER, signDailyWebhook } from '../../src/adapters/daily/signature.js';
import { createWebhookHandler } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { UNDECODABLE_PATHS } from '../support/webhook-transports.js';

const root = new URL('../..', import.meta.url).pathname;

/** Sends one request the way a provider does; an array body goes chunk by chunk, without a Content-Length. */
type Send = (method: string, path: string, body: string | string[], headers?: Record<string, string>) => Promise<{ status: number; body: string }>;

/** A recipe served on a loopback port. */
interface Served {
  send: Send;
  url: string;
}

let box: Sandbox | undefined;
let stop: () => Promise<void> = async () => undefined;
afterEach(async () => {
  await stop();
  await box?.close();
  box = undefined;
  stop = async () => undefined;
});

// Pretty-printed on purpose: a recipe that parsed the JSON and serialised it again would break the signature.
function signedDelivery(secret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ version: '1.0.0', type: 'meeting.started', id: `evt-${Date.now()}`, payload: { room: 'nobody-started-this', meeting_id: 'm-1', start_ts: Math.floor(Date.now() / 1000) }, event_ts: Date.now() / 1000 }, null, 2);
  const timestamp = String(Math.floor(Date.now() / 1000));
  return { body, headers: { 'content-type': 'application/json', [DAILY_SIGNATURE_HEADER]: signDailyWebhook(secret, timestamp, Buffer.from(body)), [DAILY_TIMESTAMP_HEADER]: timestamp } };
}

async function listen(server: Server): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return served((server.address() as AddressInfo).port);
}

function served(port: number): Served {
  const send: Send = (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
      });
      outgoing.on('error', reject);
      for (const chunk of Array.isArray(body) ? body : [body]) outgoing.write(chunk);
      outgoing.end();
    });
  return { send, url: `http://127.0.0.1:${port}` };
}

// The Daily fake signs and delivers every webhook of a call to the framework's server.
async function playCallThrough(sandbox: Sandbox, base: string): Promise<void> {
  const call = await sandbox.start();
  sandbox.fake.deliverWebhooksTo(`${base}/webhooks/daily`);
  expect(await sandbox.play(call, 'ops-joined', 'other-joined')).toEqual([200, 200, 200]);
  expect(call.state).toBe('connected');
}

/** What every recipe must do: verify the raw bytes, refuse forgeries, bad paths and big bodies, log only the genuine. */
async function expectRecipeWorks(send: Send, sandbox: Sandbox): Promise<void> {
  const before = (await sandbox.store.head()).size;
  const genuine = signedDelivery(sandbox.fake.webhookSecret);
  expect(await send('POST', '/webhooks/daily', genuine.body, genuine.headers)).toMatchObject({ status: 200 });
  const logged = await sandbox.store.readEntries({ fromIndex: before });
  expect(logged.map((entry) => entry.type)).toEqual(['provider.unmatched-event']);
  const forged = { ...genuine.headers, [DAILY_SIGNATURE_HEADER]: signDailyWebhook(Buffer.alloc(32).toString('base64'), genuine.headers[DAILY_TIMESTAMP_HEADER]!, Buffer.from(genuine.body)) };
  expect(await send('POST', '/webhooks/daily', genuine.body, forged)).toEqual({ status: 401, body: '{"error":"WEBHOOK_INVALID"}' });
  // Express and Fastify decode the route themselves and may answer their own 400 first.
  for (const path of UNDECODABLE_PATHS) expect([path, (await send('POST', path, '{}')).status]).toEqual([path, 400]);
  expect(await send('POST', '/webhooks/daily', JSON.stringify({ test: 'test' }))).toMatchObject({ status: 200 });
  const tooBig = await send('POST', '/webhooks/daily', ['x'.repeat(200 * 1024), 'x'.repeat(200 * 1024)], { 'content-type': 'application/json' });
  expect(tooBig).toEqual({ status: 413, body: '{"error":"PAYLOAD_TOO_LARGE"}' });
  expect((await sandbox.store.head()).size).toBe(before + 1);
}

describe('framework recipes, each run against the real framework', () => {
  it('Hono hands the raw Request to the Fetch handler', async () => {
    box = await openSandbox();
    const app = honoWebhooks(box.bridge);
    const send: Send = async (method, path, body, headers = {}) => {
      const chunks = Array.isArray(body) ? body : undefined;
      const stream = chunks && new ReadableStream({ start: (c) => (chunks.forEach((chunk) => c.enqueue(new TextEncoder().encode(chunk))), c.close()) });
      const init = { method, headers, body: stream ?? (body as string), ...(stream ? { duplex: 'half' } : {}) } as RequestInit;
      const response = await app.request(path, init);
      return { status: response.status, body: await response.text() };
    };
    await expectRecipeWorks(send, box);
  });

  it('Express mounts the node:http listener before its body parser, and a whole call plays through it', async () => {
    box = await openSandbox();
    const { send, url } = await listen(expressWebhooks(box.bridge));
    await expectRecipeWorks(send, box);
    await playCallThrough(box, url);
  });

  it('Fastify leaves the body unparsed and hands the raw request and reply over', async () => {
    box = await openSandbox();
    const app = fastifyWebhooks(box.bridge);
    await app.listen({ port: 0, host: '127.0.0.1' });
    stop = () => app.close();
    const { send, url } = served((app.server.address() as AddressInfo).port);
    await expectRecipeWorks(send, box);
    await playCallThrough(box, url);
  });

  it('answers 500 BODY_CONSUMED, not a misleading 401, when a JSON parser ran first', async () => {
    box = await openSandbox();
    const app = express();
    app.use(express.json());
    app.all('/webhooks/*provider', createWebhookHandler(box.bridge));
    const { send } = await listen(createServer(app));
    const genuine = signedDelivery(box.fake.webhookSecret);
    expect(await send('POST', '/webhooks/daily', genuine.body, genuine.headers)).toEqual({ status: 500, body: '{"error":"BODY_CONSUMED"}' });
  });

  it('the README shows each recipe exactly as tested', () => {
    const readme = readFileSync(`${root}/README.md`, 'utf8');
    const source = readFileSync(`${root}/examples/webhook-frameworks.ts`, 'utf8');
    const regions = [...source.matchAll(/\/\/ #region (\w+)\n([\s\S]*?)\/\/ #endregion/g)].map((match) => [match[1], match[2]!]);
    expect(regions.map(([name]) => name)).toEqual(['hono', 'express', 'fastify']);
    for (const [name, code] of regions) expect(readme.includes(code!), `README shows the ${name} recipe as in examples/webhook-frameworks.ts`).toBe(true);
  });
});
