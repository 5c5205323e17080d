/** The wall clock the SDK reads; injectable so tests and replays control time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The process's wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Formats epoch milliseconds as the log's one timestamp form: ISO 8601 UTC, milliseconds, `Z`. */
export function formatInstant(epochMs: number): string {
  return new Date(Math.trunc(epochMs)).toISOString();
}

/** True when `value` is in the log's timestamp form (what {@link formatInstant} produces). */
export function isInstant(value: unknown): value is string {
  // Date.parse rolls 30 February over to 2 March; only a round trip proves the date exists.
  return typeof value === 'string' && ISO_INSTANT.test(value) && formatsBack(value);
}

function formatsBack(value: string): boolean {
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && formatInstant(ms) === value;
}

/**
 * The `at` for a new log entry: the clock's reading, but never earlier than the entry before it,
 * so a log's timestamps never run backwards even when the wall clock is stepped back.
 */
export function nextEntryInstant(clockMs: number, previousAt: string | undefined): string {
  const candidate = formatInstant(clockMs);
  // Both strings share one fixed-width form, so string order is time order.
  return previousAt !== undefined && previousAt > candidate ? previousAt : candidate;
}
