import type { Fault } from '../fake-server.js';

/** Which of Zoom's limits a fake 429 reports (PROVIDERS.md §1.5). */
export type ZoomFakeRateLimit = 'per-second' | 'daily' | 'per-user-daily';

/**
 * Which rate-limit headers the fake sends with a 429. Zoom documents `Retry-After` and the
 * `X-RateLimit-*` headers, but users report that not every 429 carries every one (PARTLY UNCONFIRMED).
 */
export type ZoomRateLimitHeaders = 'all' | 'retry-after' | 'none';

/** Zoom's documented 429 messages. */
export const ZOOM_RATE_LIMIT_MESSAGES: Readonly<Record<ZoomFakeRateLimit, string>> = {
  'per-second': 'You have reached the maximum per-second rate limit for this API. Try again later.',
  daily: 'You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.',
  'per-user-daily':
    'You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00.',
};

/** The body and headers of one of Zoom's 429s: `Retry-After` in seconds per second, an ISO date-time for daily limits. */
export function zoomRateLimitResponse(
  limit: ZoomFakeRateLimit,
  nowMs: number,
  headers: ZoomRateLimitHeaders = 'all',
  retryAfterSeconds = 1,
): { body: { code: 429; message: string }; headers: Record<string, string> } {
  const daily = limit !== 'per-second';
  const retryAfter = daily ? nextUtcMidnightIso(nowMs) : String(retryAfterSeconds);
  const all: Record<string, string> = {
    'retry-after': retryAfter,
    'x-ratelimit-type': daily ? 'Daily-limit' : 'QPS',
    ...(limit === 'per-user-daily' ? { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0' } : {}),
  };
  const sent = headers === 'all' ? all : headers === 'retry-after' ? { 'retry-after': retryAfter } : {};
  return { body: { code: 429, message: ZOOM_RATE_LIMIT_MESSAGES[limit] }, headers: sent };
}

/** A fault for `ZoomFake.failNext` that answers like one of Zoom's rate limits. */
export function zoomRateLimitFault(limit: ZoomFakeRateLimit, nowMs: number, headers: ZoomRateLimitHeaders = 'all'): Omit<Fault, 'method' | 'path'> {
  return { status: 429, ...zoomRateLimitResponse(limit, nowMs, headers) };
}

// Zoom's form for daily limits: e.g. 2020-05-31T00:00:00Z.
function nextUtcMidnightIso(nowMs: number): string {
  const now = new Date(nowMs);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString().replace('.000Z', 'Z');
}
