import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge } from './bridge.js';
import { BridgeError } from './errors.js';

/** Settings for {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  /** Deliveries arrive at `<pathPrefix><provider>`, e.g. `/webhooks/daily`. @default '/webhooks/' */
  pathPrefix?: string;
  /** Larger bodies are refused with 413 before they are read in full. @default 262144 */
  maxBodyBytes?: number;
}

/**
 * A `node:http` request listener that hands each provider's webhooks to the bridge. It answers as soon
 * as the events are logged; provider cleanup after a call ends runs in the background.
 */
export function createWebhookHandler(
  bridge: Pick<Bridge, 'handleWebhook'>,
  options: WebhookHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const prefix = options.pathPrefix ?? '/webhooks/';
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
  return (request, response) => {
    const url = request.url ?? '/';
    const path = url.split('?')[0]!;
    if (!path.startsWith(prefix) || path.length === prefix.length) return send(response, 404, { error: 'NOT_FOUND' });
    if (request.method !== 'POST') return send(response, 405, { error: 'METHOD_NOT_ALLOWED' }, { allow: 'POST' });
    const provider = decodeURIComponent(path.slice(prefix.length));
    readBody(request, maxBodyBytes).then(
      async (rawBody) => {
        if (rawBody === undefined) return send(response, 413, { error: 'PAYLOAD_TOO_LARGE' }, { connection: 'close' });
        try {
          const outcome = await bridge.handleWebhook(provider, {
            method: request.method ?? 'POST',
            url,
            headers: flattenHeaders(request.headers),
            rawBody,
          });
          response.writeHead(outcome.reply.status, outcome.reply.headers ?? {});
          response.end(outcome.reply.body);
        } catch (error) {
          const [status, code] = statusFor(error);
          send(response, status, { error: code });
        }
      },
      () => send(response, 400, { error: 'BODY_UNREADABLE' }),
    );
  };
}

function statusFor(error: unknown): [number, string] {
  if (!BridgeError.isInstance(error)) return [500, 'INTERNAL'];
  if (error.code === 'WEBHOOK_INVALID') return [error.details?.reason === 'malformed' ? 400 : 401, error.code];
  if (error.code === 'NOT_FOUND') return [404, error.code];
  return [500, error.code];
}

// Resolves undefined once the body passes the limit, so a huge body is never held in memory.
function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    request.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overLimit = false;
    request.on('data', (chunk: Buffer) => {
      if (overLimit) return;
      size += chunk.length;
      if (size > limit) {
        overLimit = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(overLimit ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
