import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Bridge } from '../bridge.js';
import { answerWebhook, errorAnswer, webhookSettings, type WebhookAnswer, type WebhookHandlerOptions } from './answer.js';
import type { BodySource } from './body.js';

export type { WebhookHandlerOptions } from './answer.js';

/**
 * A `node:http` request listener that hands each provider's webhooks to the bridge. It answers as soon
 * as the events are logged; provider cleanup after a call ends runs in the background. It never
 * throws: every failure, the bridge's included, is an HTTP answer. Express and Fastify can mount it
 * as it is (see the README); serve it with {@link webhookServerOptions} so slow headers are cut off too.
 */
export function createWebhookHandler(
  bridge: Pick<Bridge, 'handleWebhook'>,
  options: WebhookHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const settings = webhookSettings(options);
  return (request, response) => {
    answerFor(request)
      .then((answer) => writeAnswer(response, answer))
      .catch(() => writeAnswer(response, errorAnswer(500, 'INTERNAL')))
      .catch(() => response.destroy());
  };

  async function answerFor(request: IncomingMessage): Promise<WebhookAnswer> {
    // A body parser mounted in front of the handler has already taken the bytes a signature covers.
    if (request.readableDidRead || request.readableEnded) return errorAnswer(500, 'BODY_CONSUMED');
    return answerWebhook(bridge, settings, {
      method: request.method ?? 'GET',
      target: request.url ?? '/',
      headers: flattenHeaders(request.headers),
      body: nodeBody(request),
    });
  }
}

/**
 * `http.createServer` options that cut off slow headers as the handler cuts off slow bodies:
 * `headersTimeout` from `headersTimeoutMs`, a `requestTimeout` just past headers plus body, and
 * timeouts checked every second rather than Node's default 30. Pass the handler's options to both.
 */
export function webhookServerOptions(options: WebhookHandlerOptions = {}): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const { headersTimeoutMs, bodyTimeoutMs } = webhookSettings(options);
  return {
    headersTimeout: headersTimeoutMs,
    // Later than the handler's own 408, so the client gets its JSON answer rather than Node's bare one.
    requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1000,
    connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
  };
}

function writeAnswer(response: ServerResponse, answer: WebhookAnswer): void {
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

// Reads chunk by chunk with backpressure: the stream stays paused until the next chunk is wanted.
function nodeBody(request: IncomingMessage): BodySource {
  const declared = Number(request.headers['content-length']);
  const chunks: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let listening = false;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    request.pause();
    notify();
  };
  function listen(): void {
    listening = true;
    request.on('data', onData);
    request.on('end', () => {
      ended = true;
      notify();
    });
    // Node emits an aborted upload's 'error' only to a listener; this one turns it into a 400.
    request.on('error', (error) => {
      failure = error;
      notify();
    });
    // Closed before its end: the client went away mid-upload.
    request.on('close', () => {
      if (!ended) failure ??= new Error('the client aborted the upload');
      notify();
    });
  }
  return {
    declaredLength: Number.isSafeInteger(declared) ? declared : undefined,
    async read() {
      if (!listening) listen();
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) return chunk;
        if (failure) throw failure;
        if (ended) return undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          request.resume();
        });
      }
    },
    discard() {
      // Not destroyed: that would drop the answer too. The answer says `connection: close`, so the socket goes once it is sent.
      request.off('data', onData);
      chunks.length = 0;
      request.resume();
    },
  };
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}
