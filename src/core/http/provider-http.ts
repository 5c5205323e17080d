import { BridgeError, type ErrorCode } from '../errors.js';
import { parseRetryAfter } from './retry-after.js';

/** Settings shared by every adapter's HTTP calls. */
export interface ProviderHttpOptions {
  /** Provider id, for errors. */
  provider: string;
  /** API root, e.g. `https://api.daily.co/v1`; point it at a fake in tests. */
  baseUrl: string;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Per-attempt timeout in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt, for requests that may be retried. @default 2 */
  maxRetries?: number;
  /** A `Retry-After` longer than this fails at once instead of holding a citizen waiting. @default 10000 */
  maxRetryAfterMs?: number;
  /** How to wait between attempts; tests record the delays instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values. @default Date.now */
  now?: () => number;
  /** Authorisation (and any other) headers, read for every attempt so rotated keys take effect. */
  headers: () => Record<string, string> | Promise<Record<string, string>>;
  /** Told of every final outcome, so the adapter can track its health. */
  onOutcome?: (error: BridgeError | undefined) => void;
}

/** The HTTP settings every HTTP-based adapter accepts; its options interface extends this. */
export interface AdapterHttpSettings {
  /** The fetch to use; point it at a proxy, or a fake in tests. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Per-attempt timeout in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Retries after the first attempt (idempotent requests, and any request after a 429). @default 2 */
  maxRetries?: number;
  /** A `Retry-After` longer than this fails at once instead of holding a citizen waiting. @default 10000 */
  maxRetryAfterMs?: number;
  /** How to wait between retries; tests record the delays instead of sleeping. */
  sleep?: (ms: number) => Promise<void>;
}

/** One request to the provider. */
export interface ProviderRequest {
  /** HTTP method. */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, e.g. `/rooms`. */
  path: string;
  /** JSON body. */
  body?: unknown;
  /** A form body (`application/x-www-form-urlencoded`), as OAuth token endpoints take; not with `body`. */
  form?: Readonly<Record<string, string>>;
}

/** The provider's successful answer. */
export interface ProviderResponse<T> {
  /** HTTP status. */
  status: number;
  /** Parsed JSON body, or undefined when empty. */
  data: T;
}

/** A small JSON-over-HTTP client with the SDK's timeout, retry and error rules. */
export interface ProviderHttpClient {
  /** Sends a request; resolves for 2xx, throws a BridgeError otherwise. */
  request<T>(request: ProviderRequest): Promise<ProviderResponse<T>>;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_BODY_IN_ERROR = 2000;

/**
 * Creates the client. Idempotent requests are retried on timeouts, network errors, 408, 429 and 5xx.
 * A POST is retried only after 429, because a provider that rate-limits has refused the request
 * without acting on it; after a 5xx or a timeout it may have acted, and a repeat could create twice.
 */
export function createProviderHttpClient(options: ProviderHttpOptions): ProviderHttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 2;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  // The timeout covers the body too, and a stalled body is a failed attempt like a stalled connect.
  async function attempt(request: ProviderRequest): Promise<{ response?: Response; text?: string; error?: unknown }> {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    const headers: Record<string, string> = { accept: 'application/json', ...(await options.headers()) };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    try {
      const response = await fetchImpl(`${baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body: request.form !== undefined ? new URLSearchParams(request.form).toString() : request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { response, text: await response.text() };
    } catch (error) {
      return { error };
    }
  }

  async function send<T>(request: ProviderRequest): Promise<ProviderResponse<T>> {
    const retryOnFailure = IDEMPOTENT.has(request.method);
    for (let attemptNumber = 0; ; attemptNumber += 1) {
      const { response, text, error } = await attempt(request);
      const retriesLeft = attemptNumber < maxRetries;
      if (response === undefined || text === undefined) {
        const failure = networkError(options.provider, request, error, timeoutMs);
        if (!(retryOnFailure && retriesLeft)) throw failure;
        await sleep(backoffMs(attemptNumber));
        continue;
      }
      if (response.ok) return { status: response.status, data: (text.length > 0 ? parseJson(text) : undefined) as T };
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      const failure = statusError(options.provider, request, response.status, text, retryAfterMs);
      const mayRetry = response.status === 429 || (retryOnFailure && RETRYABLE_STATUS.has(response.status));
      const waitMs = retryAfterMs ?? backoffMs(attemptNumber);
      if (!(mayRetry && retriesLeft) || waitMs > maxRetryAfterMs) throw failure;
      await sleep(waitMs);
    }
  }

  return {
    async request<T>(request: ProviderRequest): Promise<ProviderResponse<T>> {
      try {
        const result = await send<T>(request);
        options.onOutcome?.(undefined);
        return result;
      } catch (error) {
        const failure = BridgeError.isInstance(error)
          ? error
          : new BridgeError('PROVIDER_UNAVAILABLE', `${options.provider} request failed`, { provider: options.provider, cause: error });
        options.onOutcome?.(failure);
        throw failure;
      }
    },
  };
}

function backoffMs(attemptNumber: number): number {
  return 200 * 2 ** attemptNumber;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function networkError(provider: string, request: ProviderRequest, error: unknown, timeoutMs: number): BridgeError {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const what = timedOut ? `timed out after ${timeoutMs} ms` : 'could not be reached';
  return new BridgeError('PROVIDER_UNAVAILABLE', `${provider} ${request.method} ${request.path} ${what}`, {
    provider,
    isRetryable: true,
    cause: error,
  });
}

function statusError(
  provider: string,
  request: ProviderRequest,
  status: number,
  body: string,
  retryAfterMs: number | undefined,
): BridgeError {
  const code: ErrorCode =
    status === 401
      ? 'PROVIDER_CREDENTIALS_INVALID'
      : status === 404
        ? 'NOT_FOUND'
        : status === 429 || status >= 500 || status === 408
          ? 'PROVIDER_UNAVAILABLE'
          : 'PROVIDER_REJECTED';
  return new BridgeError(code, `${provider} ${request.method} ${request.path} answered ${status}`, {
    provider,
    statusCode: status,
    responseBody: body.slice(0, MAX_BODY_IN_ERROR),
    isRetryable: RETRYABLE_STATUS.has(status) || status === 409,
    retryAfterMs,
  });
}
