import { createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  createFetchWebhookHandler,
  createWebhookHandler,
  webhookServerOptions,
  type Bridge,
  type WebhookHandlerOptions,
} from '../../src/index.js';

/** Paths whose percent-encoding does not decode: what took the process down in issue 10. */
export const UNDECODABLE_PATHS = [
  '/webhooks/%',
  '/webhooks/%%',
  '/webhooks/%zz',
  '/webhooks/daily%',
  '/webhooks/%E0%A4%A',
  '/webhooks/%ED%A0%80',
  '/webhooks/%C0%AF',
  '/webhooks/%FF?x=1',
];

/** A body to send: text with its length, chunks sent without one, or a drip that never ends. */
export type TestBody = string | { chunks: string[] } | { dripEveryMs: number };

/** What came back. */
export interface TestAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One way of serving the webhook handler: the node:http listener on a socket, or the Fetch handler called directly. */
export interface WebhookTransport {
  name: string;
  open(bridge: Pick<Bridge, 'handleWebhook'>, options?: WebhookHandlerOptions): Promise<OpenTransport>;
}

/** A served handler. */
export interface OpenTransport {
  send(method: string, path: string, body?: TestBody, headers?: Record<string, string>): Promise<TestAnswer>;
  /** How many drip bodies the server side stopped (closed the connection or cancelled the stream). */
  dripsStopped(): number;
  close(): Promise<void>;
}

/** The node:http listener behind a real server, spoken to with node's own client. */
export const nodeTransport: WebhookTransport = {
  name: 'node:http listener',
  async open(bridge, options = {}) {
    const server = createServer(webhookServerOptions(options), createWebhookHandler(bridge, options));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    let stopped = 0;
    return {
      send: (method, path, body, headers = {}) =>
        new Promise((resolve, reject) => {
          const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode!, headers: flat(response.headers), body: Buffer.concat(chunks).toString() }));
          });
          outgoing.on('error', reject);
          if (body === undefined) return outgoing.end();
          if (typeof body === 'string') return outgoing.end(body);
          if ('chunks' in body) {
            for (const chunk of body.chunks) outgoing.write(chunk);
            return outgoing.end();
          }
          const timer = setInterval(() => outgoing.write('x'), body.dripEveryMs);
          outgoing.on('close', () => {
            clearInterval(timer);
            stopped += 1;
          });
          outgoing.write('x');
        }),
      dripsStopped: () => stopped,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((error) => (error ? reject(error) : resolve()));
        }),
    };
  },
};

/** The Fetch handler called with web-standard Requests, as Hono, Next.js, Bun and Deno call it. */
export const fetchTransport: WebhookTransport = {
  name: 'Fetch handler',
  async open(bridge, options = {}) {
    const handle = createFetchWebhookHandler(bridge, options);
    let stopped = 0;
    const timers = new Set<ReturnType<typeof setInterval>>();
    return {
      async send(method, path, body, headers = {}) {
        let init: RequestInit & { duplex?: 'half' } = { method, headers };
        if (typeof body === 'string') init.body = body;
        else if (body !== undefined) {
          init = { ...init, body: streamOf(body, () => (stopped += 1), timers), duplex: 'half' };
        }
        const response = await handle(new Request(`http://bridge.test${path}`, init));
        const answerHeaders: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          answerHeaders[name] = value;
        });
        return { status: response.status, headers: answerHeaders, body: await response.text() };
      },
      dripsStopped: () => stopped,
      async close() {
        for (const timer of timers) clearInterval(timer);
      },
    };
  },
};

/** Both transports, for `describe.each`. */
export const transports = [nodeTransport, fetchTransport];

/** Sends raw bytes on a socket, dripping `drip` one character at a time, and resolves with all the server sent once it closes. */
export function rawExchange(port: number, text: string, drip?: { everyMs: number }): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.write(text);
    const timer = drip && setInterval(() => socket.write('x'), drip.everyMs);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Buffer.concat(received).toString());
    });
  });
}

function streamOf(body: Exclude<TestBody, string>, onStop: () => void, timers: Set<ReturnType<typeof setInterval>>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  if ('chunks' in body) {
    return new ReadableStream({
      start(controller) {
        for (const chunk of body.chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
  }
  let timer: ReturnType<typeof setInterval>;
  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode('x'));
      timer = setInterval(() => controller.enqueue(encoder.encode('x')), body.dripEveryMs);
      timers.add(timer);
    },
    cancel() {
      clearInterval(timer);
      onStop();
    },
  });
}

function flat(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}
