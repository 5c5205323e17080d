// RFC 9110 allows delta-seconds or an HTTP-date; Zoom sends an ISO date-time for daily limits.
const DELTA_SECONDS = /^\d+(?:\.\d+)?$/;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Milliseconds to wait from a `Retry-After` header: delta-seconds, an HTTP-date, or the ISO
 * date-time Zoom sends for daily limits. Undefined when absent or unreadable, so the caller's own
 * back-off applies rather than an immediate retry.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (DELTA_SECONDS.test(value)) return Math.round(Number(value) * 1000);
  if (!HTTP_DATE.test(value) && !ISO_DATE_TIME.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
