import type { Bridge } from '../bridge.js';
import { answerWebhook, errorAnswer, webhookSettings, type WebhookAnswer, type WebhookHandlerOptions, type WebhookHttpRequest } from './answer.js';
import type { BodySource } from './body.js';

// Statuses whose responses the Fetch standard forbids a body for.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A Fetch-API webhook handler, `(request) => Promise<Response>`, for Hono, Next.js route handlers, Bun,
 * Deno and other web-standard servers. Same paths, limits and answers as {@link createWebhookHandler};
 * it never throws. Headers arrive before it runs, so their timeout is the server's to set.
 */
export function createFetchWebhookHandler(bridge: Pick<Bridge, 'handleWebhook'>, options: WebhookHandlerOptions = {}): (request: Request) => Promise<Response> {
  const settings = webhookSettings(options);
  return async (request) => {
    let answer: WebhookAnswer;
    try {
      // Middleware that read the body has taken the bytes a signature covers.
      answer = request.bodyUsed ? errorAnswer(500, 'BODY_CONSUMED') : await answerWebhook(bridge, settings, fetchRequest(request));
    } catch {
      answer = errorAnswer(500, 'INTERNAL');
    }
    try {
      return toResponse(answer);
    } catch {
      // An adapter's reply the Fetch API cannot carry (a status out of range, a header it refuses).
      return toResponse(errorAnswer(500, 'INTERNAL'));
    }
  };
}

function fetchRequest(request: Request): WebhookHttpRequest {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { method: request.method, target: `${url.pathname}${url.search}`, headers, body: fetchBody(request) };
}

function fetchBody(request: Request): BodySource {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return {
    declaredLength: Number.isSafeInteger(declared) ? declared : undefined,
    async read() {
      if (request.body === null) return undefined;
      reader ??= request.body.getReader();
      const { done, value } = await reader.read();
      return done ? undefined : value;
    },
    discard() {
      const cancelled = reader ? reader.cancel() : request.body?.cancel();
      cancelled?.catch(() => undefined);
    },
  };
}

function toResponse(answer: WebhookAnswer): Response {
  const body = NULL_BODY_STATUSES.has(answer.status) ? null : answer.body;
  return new Response(body, { status: answer.status, headers: answer.headers });
}
