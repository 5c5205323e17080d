import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetchWebhookHandler, createWebhookHandler, webhookServerOptions, type Bridge } from '../../src/index.js';
import type { FuzzRequest } from './requests.js';

/** What came back for one request. */
export interface FuzzAnswer {
  status: number;
  body: string;
}

/**
 * One way to reach the handlers. Unlike test/support/webhook-transports.ts, these send raw bytes and
 * headers as a list (repeats, names in any case), which is what the fuzzer mutates. `target` is the
 * request target the handler is given, which the oracle routes as the handler should.
 */
export interface FuzzTransport {
  name: string;
  send(request: FuzzRequest): Promise<FuzzAnswer>;
  target(path: string): string;
  close(): Promise<void>;
}

const ORIGIN = 'http://bridge.test';

/** The Fetch handler, called in process with web-standard Requests. */
export function fetchTransport(bridge: Pick<Bridge, 'handleWebhook'>): FuzzTransport {
  const handle = createFetchWebhookHandler(bridge);
  return {
    name: 'fetch',
    async send(request) {
      const response = await handle(new Request(`${ORIGIN}${request.path}`, { method: 'POST', headers: request.headers, body: request.body }));
      return { status: response.status, body: await response.text() };
    },
    // The URL parser resolves dot segments, percent-encodes what a path cannot hold and drops the fragment.
    target(path) {
      const url = new URL(`${ORIGIN}${path}`);
      return `${url.pathname}${url.search}`;
    },
    close: async () => undefined,
  };
}

/** The node:http listener on a real server (with the options the SDK recommends), spoken to over a socket. */
export async function nodeTransport(bridge: Pick<Bridge, 'handleWebhook'>): Promise<FuzzTransport> {
  const server = createServer(webhookServerOptions(), createWebhookHandler(bridge));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const target = (path: string) => sendablePath(path);
  return {
    name: 'node:http',
    target,
    send: (request) =>
      new Promise((resolve, reject) => {
        // Given as a list, node's client adds no Host (which node's server requires) and no Content-Length; providers send both.
        const headers = [['host', `127.0.0.1:${port}`], ['content-length', String(request.body.length)], ...request.headers].flat();
        const outgoing = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: target(request.path), headers, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString() }));
          response.on('error', reject);
        });
        outgoing.on('error', reject);
        outgoing.end(Buffer.from(request.body));
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// Node's client sends a path byte for byte but refuses characters outside U+0021–U+00FF; those go as UTF-8 escapes.
function sendablePath(path: string): string {
  return [...path].map((c) => (/[\u0021-\u00ff]/.test(c) ? c : [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))).join('');
}
