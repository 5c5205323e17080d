import { createServer, type Server } from 'node:http';
import { createConnection, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookHandler, webhookServerOptions, type Bridge, type WebhookHandlerOptions } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { rawExchange } from '../support/webhook-transports.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/testing/index.js';

let box: Sandbox | undefined;
let receiver: WebhookReceiver | undefined;
let server: Server | undefined;
afterEach(async () => {
  await receiver?.close();
  await box?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  receiver = box = server = undefined;
});

async function open(): Promise<void> {
  box = await openSandbox();
  receiver = await startWebhookReceiver(box.bridge);
}

describe('webhook HTTP handler', () => {
  it('refuses bodies over the limit with 413 before reading them all', async () => {
    await open();
    const response = await fetch(receiver!.urlFor('daily'), { method: 'POST', body: 'x'.repeat(300 * 1024) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers unknown providers 404, other methods 405 and other paths 404', async () => {
    await open();
    expect((await fetch(receiver!.urlFor('myspace'), { method: 'POST', body: '{}' })).status).toBe(404);
    const get = await fetch(receiver!.urlFor('daily'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(receiver!.urlFor('daily').replace('/webhooks/daily', '/elsewhere'), { method: 'POST' })).status).toBe(404);
  });

  it("accepts Daily's unsigned verification ping without logging anything", async () => {
    await open();
    const response = await fetch(receiver!.urlFor('daily'), { method: 'POST', body: JSON.stringify({ test: 'test' }) });
    expect(response.status).toBe(200);
    expect((await box!.store.head()).size).toBe(0);
  });

  it('answers a forged delivery 401 with only the error code', async () => {
    await open();
    const response = await fetch(receiver!.urlFor('daily'), {
      method: 'POST',
      headers: { 'x-webhook-signature': 'AAAA', 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)) },
      body: JSON.stringify({ type: 'meeting.started', id: 'x', payload: {} }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'WEBHOOK_INVALID' });
  });
});

/** The sandbox bridge's node:http listener on a server with the recommended options; resolves with its port. */
async function serve(options: WebhookHandlerOptions = {}): Promise<number> {
  box = await openSandbox();
  server = createServer(webhookServerOptions(options), createWebhookHandler(box.bridge, options));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const statusOf = (wire: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(wire)?.[1]);

describe('the node:http listener on the wire', () => {
  it('answers 408 to a slow-drip body and closes the connection', async () => {
    const port = await serve({ bodyTimeoutMs: 300, minBodyBytesPerSecond: 1 });
    const head = 'POST /webhooks/daily HTTP/1.1\r\nHost: bridge.test\r\nContent-Length: 100000\r\n\r\n';
    const wire = await rawExchange(port, head, { everyMs: 20 });
    expect(statusOf(wire)).toBe(408);
    expect(wire).toMatch(/\r\nconnection: close\r\n/i);
    expect(wire).toContain('{"error":"BODY_TIMEOUT"}');
  });

  it('answers 413 to a chunked body without Content-Length once it passes the limit, closes the connection, and hands nothing on', async () => {
    box = await openSandbox();
    const handed: string[] = [];
    const counting: Pick<Bridge, 'handleWebhook'> = {
      handleWebhook: (provider, request) => {
        handed.push(provider);
        return box!.bridge.handleWebhook(provider, request);
      },
    };
    server = createServer(webhookServerOptions(), createWebhookHandler(counting, { maxBodyBytes: 1000 }));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const chunk = `{"test":"${'x'.repeat(1200)}"}`;
    // The final zero-length chunk never comes: the server must not wait for it, and must close the connection itself.
    const head = 'POST /webhooks/daily HTTP/1.1\r\nHost: bridge.test\r\nTransfer-Encoding: chunked\r\n\r\n';
    const wire = await rawExchange(port, `${head}${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    expect(statusOf(wire)).toBe(413);
    expect(wire).toMatch(/\r\nconnection: close\r\n/i);
    expect(wire).toContain('{"error":"PAYLOAD_TOO_LARGE"}');
    expect(handed).toEqual([]);
    // The same body within the limit does reach the bridge, so the count above could have moved.
    const small = '{"test":"test"}';
    const ping = await rawExchange(port, `${head.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n')}${small.length.toString(16)}\r\n${small}\r\n0\r\n\r\n`);
    expect(statusOf(ping)).toBe(200);
    expect(handed).toEqual(['daily']);
  });

  it('gives Node server options that cut headers off after 10 s and check every second', () => {
    expect(webhookServerOptions()).toEqual({ headersTimeout: 10_000, requestTimeout: 21_000, connectionsCheckingInterval: 1000 });
    expect(webhookServerOptions({ headersTimeoutMs: 200, bodyTimeoutMs: 300 })).toEqual({ headersTimeout: 200, requestTimeout: 1500, connectionsCheckingInterval: 200 });
  });

  it('cuts off headers that never finish, once served with webhookServerOptions', async () => {
    const port = await serve({ headersTimeoutMs: 200 });
    const wire = await rawExchange(port, 'POST /webhooks/daily HTTP/1.1\r\nHost: bridge.test\r\n', { everyMs: 20 });
    expect(statusOf(wire)).toBe(408);
  });

  it('survives clients that abort mid-body or mid-answer, and keeps serving', async () => {
    const port = await serve();
    for (let i = 0; i < 20; i += 1) {
      await new Promise<void>((resolve) => {
        const socket = createConnection(port);
        socket.write('POST /webhooks/daily HTTP/1.1\r\nHost: bridge.test\r\nContent-Length: 50\r\n\r\n{"test":');
        socket.on('error', () => undefined);
        setTimeout(() => socket.destroy(), i % 2 === 0 ? 0 : 20);
        socket.on('close', () => resolve());
      });
    }
    const ping = await rawExchange(port, 'POST /webhooks/daily HTTP/1.1\r\nHost: bridge.test\r\nConnection: close\r\nContent-Length: 15\r\n\r\n{"test":"test"}');
    expect(statusOf(ping)).toBe(200);
  });

  it('refuses limits that are not positive numbers when it is created', () => {
    for (const options of [{ bodyTimeoutMs: 0 }, { minBodyBytesPerSecond: -1 }, { maxBodyBytes: Number.NaN }, { headersTimeoutMs: Infinity }, { pathPrefix: 'webhooks/' }]) {
      expect(() => createWebhookHandler({ handleWebhook: async () => ({ reply: { status: 200, body: '' }, logged: [], duplicates: 0 }) }, options)).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
    }
  });
});
