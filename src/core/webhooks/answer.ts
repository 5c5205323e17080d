import type { Bridge } from '../bridge.js';
import { BridgeError } from '../errors.js';
import { refusalReasonOf } from './refusal.js';
import { readBodyWithin, type BodyLimits, type BodySource } from './body.js';

/** Settings for the webhook handlers ({@link createWebhookHandler}, {@link createFetchWebhookHandler}). */
export interface WebhookHandlerOptions {
  /** Deliveries arrive at `<pathPrefix><provider>`, e.g. `/webhooks/daily`. @default '/webhooks/' */
  pathPrefix?: string;
  /** Larger bodies are refused with 413 before they are read in full. @default 262144 */
  maxBodyBytes?: number;
  /** The whole body must arrive within this long of the handler starting to read it, else 408. @default 10000 */
  bodyTimeoutMs?: number;
  /** After its first second a body must keep arriving at least this fast on average, else 408. @default 1024 */
  minBodyBytesPerSecond?: number;
  /** How long a client may take to send its headers; used by {@link webhookServerOptions}. @default 10000 */
  headersTimeoutMs?: number;
}

/** The options with every default filled in and checked. @internal */
export interface WebhookSettings extends BodyLimits {
  pathPrefix: string;
  headersTimeoutMs: number;
}

/** One HTTP request as the handlers hand it over: method, path and query, lower-case headers, the body unread. @internal */
export interface WebhookHttpRequest {
  method: string;
  target: string;
  headers: Record<string, string | undefined>;
  body: BodySource;
}

/** What to send back. @internal */
export interface WebhookAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Fills in the defaults; INVALID_CONFIG for a limit that is not a positive number. @internal */
export function webhookSettings(options: WebhookHandlerOptions): WebhookSettings {
  const pathPrefix = options.pathPrefix ?? '/webhooks/';
  if (typeof pathPrefix !== 'string' || !pathPrefix.startsWith('/')) {
    throw new BridgeError('INVALID_CONFIG', 'pathPrefix must be a path starting with "/"', { details: { field: 'pathPrefix' } });
  }
  return {
    pathPrefix,
    maxBodyBytes: positive(options.maxBodyBytes ?? 256 * 1024, 'maxBodyBytes'),
    bodyTimeoutMs: positive(options.bodyTimeoutMs ?? 10_000, 'bodyTimeoutMs'),
    minBodyBytesPerSecond: positive(options.minBodyBytesPerSecond ?? 1024, 'minBodyBytesPerSecond'),
    headersTimeoutMs: positive(options.headersTimeoutMs ?? 10_000, 'headersTimeoutMs'),
  };
}

/**
 * Routes one request to the bridge and says what to answer: a bad path is 400, a body too big, too
 * slow or aborted is 413, 408 or 400, and anything the bridge throws that is not a refusal is 500.
 * It rejects only on a broken bridge (one that resolves to no outcome); each handler answers 500 for
 * that, and for a reply it cannot send, in the one place it writes. @internal
 */
export async function answerWebhook(bridge: Pick<Bridge, 'handleWebhook'>, settings: WebhookSettings, request: WebhookHttpRequest): Promise<WebhookAnswer> {
  const { pathPrefix } = settings;
  const path = request.target.split('?')[0]!;
  // Any answer given before the body is read closes the connection, so an unread body cannot hold it open.
  const early = (status: number, error: string, headers: Record<string, string> = {}) => {
    request.body.discard();
    return errorAnswer(status, error, { ...headers, connection: 'close' });
  };
  if (!path.startsWith(pathPrefix) || path.length === pathPrefix.length) return early(404, 'NOT_FOUND');
  if (request.method !== 'POST') return early(405, 'METHOD_NOT_ALLOWED', { allow: 'POST' });
  const provider = decodePathSegment(path.slice(pathPrefix.length));
  if (provider === undefined) return early(400, 'MALFORMED_PATH');
  const reading = await readBodyWithin(request.body, settings);
  if (!reading.ok) return errorAnswer(reading.status, reading.error, { connection: 'close' });
  let outcome;
  try {
    outcome = await bridge.handleWebhook(provider, { method: request.method, url: request.target, headers: request.headers, rawBody: reading.body });
  } catch (error) {
    const [status, code] = statusFor(error);
    return errorAnswer(status, code);
  }
  const { reply } = outcome;
  return { status: reply.status, headers: { ...(reply.headers ?? {}) }, body: reply.body };
}

/** The answer for an error code, as JSON that names only the code. @internal */
export function errorAnswer(status: number, error: string, headers: Record<string, string> = {}): WebhookAnswer {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ error }) };
}

function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function statusFor(error: unknown): [number, string] {
  if (!BridgeError.isInstance(error)) return [500, 'INTERNAL'];
  // The status says what webhook-rejected says: a refusal no adapter classified counts as malformed.
  if (error.code === 'WEBHOOK_INVALID') return [refusalReasonOf(error) === 'malformed' ? 400 : 401, error.code];
  if (error.code === 'NOT_FOUND') return [404, error.code];
  return [500, error.code];
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new BridgeError('INVALID_CONFIG', `${field} must be a positive number`, { details: { field } });
  }
  return value;
}
