import { BridgeError, parseRetryAfter, type ErrorCode } from '../../index.js';

/** Where a failure came from: Meet's API, Google's token endpoint, the network, or the auth client itself. */
export type MeetFailureSource = 'api' | 'token' | 'network' | 'auth-client';

const PROVIDER = 'google-meet';
const MAX_BODY_IN_ERROR = 2000;
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
// google-auth-library's own words when a client has nothing to authenticate with; they are stable API text.
const NO_CREDENTIAL = /No refresh token is set|No access, refresh token/;

interface GaxiosLike {
  message: string;
  code?: unknown;
  config?: unknown;
  response?: { status: number; data?: unknown; headers?: unknown };
}

/**
 * Maps what the googleapis client throws to the SDK's codes: Meet's 401 → PROVIDER_CREDENTIALS_INVALID,
 * 404 → NOT_FOUND, 408/429/5xx → PROVIDER_UNAVAILABLE, other 4xx → PROVIDER_REJECTED. The token
 * endpoint's OAuth errors (`invalid_grant`, `invalid_client`, …) mean the grant is dead. The status
 * and body are kept; the GaxiosError itself is not, since its config holds request headers.
 */
export function toMeetError(error: unknown, operation: string, nowMs: number): BridgeError {
  if (BridgeError.isInstance(error)) return error;
  if (!isGaxiosLike(error)) {
    const message = error instanceof Error ? error.message : String(error);
    if (NO_CREDENTIAL.test(message)) {
      return new BridgeError('PROVIDER_CREDENTIALS_INVALID', `google-meet: the auth client holds no usable credential (${message})`, {
        provider: PROVIDER,
        details: { source: 'auth-client' satisfies MeetFailureSource },
      });
    }
    return new BridgeError('PROVIDER_UNAVAILABLE', `google-meet ${operation} failed: ${message}`, { provider: PROVIDER, cause: error });
  }
  const { response } = error;
  if (response === undefined) {
    const timedOut = /timeout|abort/i.test(`${String(error.code)} ${error.message}`);
    return new BridgeError('PROVIDER_UNAVAILABLE', `google-meet ${operation} ${timedOut ? 'timed out' : 'could not be reached'}`, {
      provider: PROVIDER,
      isRetryable: true,
      details: { source: 'network' satisfies MeetFailureSource },
      cause: { code: error.code, message: error.message },
    });
  }
  const { status, data } = response;
  const body = typeof data === 'string' ? data : JSON.stringify(data ?? '');
  const common = { provider: PROVIDER, statusCode: status, responseBody: body.slice(0, MAX_BODY_IN_ERROR), cause: { status, data } };
  const oauth = oauthErrorOf(data);
  if (oauth !== undefined) {
    const dead = status < 500 && status !== 429 && status !== 408;
    const message = dead
      ? `google-meet: Google's token endpoint refused the ops device's grant (${oauth.error}${oauth.description ? `: ${oauth.description}` : ''})`
      : `google-meet: Google's token endpoint answered ${status}`;
    return new BridgeError(dead ? 'PROVIDER_CREDENTIALS_INVALID' : 'PROVIDER_UNAVAILABLE', message, {
      ...common,
      isRetryable: !dead,
      details: { source: 'token' satisfies MeetFailureSource, oauthError: oauth.error },
    });
  }
  const googleStatus = googleStatusOf(data);
  const code: ErrorCode =
    status === 401
      ? 'PROVIDER_CREDENTIALS_INVALID'
      : status === 404
        ? 'NOT_FOUND'
        : RETRYABLE_STATUS.has(status) || status >= 500
          ? 'PROVIDER_UNAVAILABLE'
          : 'PROVIDER_REJECTED';
  return new BridgeError(code, `google-meet ${operation} answered ${status}${googleStatus ? ` ${googleStatus}` : ''}`, {
    ...common,
    isRetryable: RETRYABLE_STATUS.has(status) || status === 409,
    retryAfterMs: parseRetryAfter(headerOf(response.headers, 'retry-after'), nowMs),
    details: { source: 'api' satisfies MeetFailureSource, ...(googleStatus ? { googleStatus } : {}) },
  });
}

/** The source recorded by {@link toMeetError}. */
export function failureSource(error: BridgeError): MeetFailureSource | undefined {
  return error.details?.source as MeetFailureSource | undefined;
}

function isGaxiosLike(error: unknown): error is GaxiosLike {
  return error instanceof Error && 'config' in error;
}

// RFC 6749 §5.2: the token endpoint's error is a string code; Google APIs nest an object under `error`.
function oauthErrorOf(data: unknown): { error: string; description?: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { error, error_description: description } = data as Record<string, unknown>;
  return typeof error === 'string' ? { error, ...(typeof description === 'string' ? { description } : {}) } : undefined;
}

function googleStatusOf(data: unknown): string | undefined {
  const status = (data as { error?: { status?: unknown } } | undefined)?.error?.status;
  return typeof status === 'string' ? status : undefined;
}

// gaxios 7 gives a fetch Headers (from whichever fetch it used); older versions a plain object.
function headerOf(headers: unknown, name: string): string | undefined {
  const get = (headers as { get?: unknown } | null)?.get;
  if (typeof get === 'function') return (get.call(headers, name) as string | null) ?? undefined;
  const value = typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}
