import { BridgeError } from '../../index.js';

/** Zoom's error body, `{code, message}` (e.g. 124 "Invalid access token.", 3001 meeting not found). */
export interface ZoomErrorBody {
  /** Zoom's own error code. */
  code?: number;
  /** Zoom's message. */
  message?: string;
}

/** Which of Zoom's limits a 429 reports (PROVIDERS.md §1.5). */
export type ZoomRateLimit = 'per-second' | 'daily' | 'per-user-daily';

/** Zoom's error body kept on a BridgeError, when it has one. */
export function zoomErrorOf(error: unknown): ZoomErrorBody {
  if (!BridgeError.isInstance(error) || error.responseBody === undefined) return {};
  try {
    const body = JSON.parse(error.responseBody) as Record<string, unknown>;
    return {
      ...(typeof body.code === 'number' ? { code: body.code } : {}),
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
    };
  } catch {
    return {};
  }
}

/** Whether `error` is a Zoom answer with one of these error codes. */
export function hasZoomCode(error: unknown, codes: readonly number[]): boolean {
  const { code } = zoomErrorOf(error);
  return code !== undefined && codes.includes(code);
}

/**
 * Tells Zoom's 429s apart by their documented messages: the per-user meeting create/update limit
 * (100 a day, reset at 00:00 UTC), an account's daily limit for an API, or the per-second limit.
 */
export function rateLimitOf(error: unknown): ZoomRateLimit | undefined {
  if (!BridgeError.isInstance(error) || error.statusCode !== 429) return undefined;
  const message = zoomErrorOf(error).message ?? '';
  if (/daily rate limit \(\d+\) of Meeting Create\/Update/i.test(message)) return 'per-user-daily';
  if (/maximum daily rate limit/i.test(message)) return 'daily';
  return 'per-second';
}

/** Epoch milliseconds of the next 00:00 UTC, when Zoom's daily limits reset. */
export function nextUtcMidnight(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
}

/** The error for a create refused by one of Zoom's daily limits, which hold until 00:00 UTC. */
export function dailyLimitError(limit: 'per-user-daily' | 'daily', retryAfterMs: number, cause?: unknown): BridgeError {
  const which =
    limit === 'per-user-daily' ? "the ops device's Zoom user has reached Zoom's 100 meeting creations a day" : "this account has reached Zoom's daily limit for creating meetings";
  return new BridgeError('PROVIDER_UNAVAILABLE', `zoom: ${which}; Zoom accepts more after 00:00 UTC`, {
    provider: 'zoom',
    statusCode: 429,
    retryAfterMs,
    details: { limit },
    cause,
  });
}
