import { formatInstant } from './clock.js';
import { invalidInput } from './errors.js';

/** How a provider expresses a numeric time; `auto` tells seconds from milliseconds by magnitude. */
export type ProviderTimeUnit = 'seconds' | 'milliseconds' | 'auto';

/** A time exactly as a provider sent it, with the unit its documentation gives. */
export interface ProviderTime {
  /** Epoch seconds (integer or float), epoch milliseconds, or an ISO 8601 / RFC 3339 string. */
  value: number | string;
  /** Unit of a numeric value; ignored for ISO strings. @default 'auto' */
  unit?: ProviderTimeUnit;
}

// Provider times outside this window are a unit mistake or garbage, not a real event.
const EARLIEST_MS = Date.UTC(2000, 0, 1);
const LATEST_MS = Date.UTC(2200, 0, 1);
// Below this a number can only be seconds: 1e11 ms is 1973, 1e11 s is the year 5138.
const MILLISECONDS_THRESHOLD = 1e11;

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const NUMERIC_STRING = /^\d+(?:\.\d+)?$/;
// A number as decimal text: how JavaScript prints one (the shortest text that reads back the same), or a provider's string.
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Normalises a provider's time to epoch milliseconds, or throws INVALID_INPUT naming the value. */
export function providerTimeToEpochMs(time: ProviderTime): number {
  const { value } = time;
  const epochMs =
    typeof value === 'number'
      ? numericToMs(String(value), time.unit ?? 'auto')
      : NUMERIC_STRING.test(value.trim())
        ? numericToMs(value.trim(), time.unit ?? 'auto')
        : isoToMs(value);
  if (!Number.isFinite(epochMs) || epochMs < EARLIEST_MS || epochMs >= LATEST_MS) {
    throw invalidInput(`provider time ${JSON.stringify(value)} is not a plausible instant`, { value });
  }
  return epochMs;
}

/** Normalises a provider's time to the log's form: ISO 8601 UTC with milliseconds and `Z`. */
export function normalizeProviderTime(time: ProviderTime): string {
  return formatInstant(providerTimeToEpochMs(time));
}

/** Milliseconds by which the bridge's `at` is later than the provider's `providerAt` (negative if earlier). */
export function clockSkewMs(at: string, providerAt: string): number {
  return Date.parse(at) - Date.parse(providerAt);
}

// Digits past the millisecond are cut from the decimal text, never rounded: arithmetic on the float would
// carry .9999996 s up into the next second, and Number() of a long string rounds before anything is cut.
function numericToMs(text: string, unit: ProviderTimeUnit): number {
  const match = DECIMAL.exec(text);
  // NaN, Infinity and exponent forms (only numbers far outside the plausible window print so) are no instant.
  if (!match) return Number.NaN;
  const [, sign, whole = '', fraction = ''] = match;
  const inMilliseconds = unit === 'milliseconds' || (unit === 'auto' && Number(whole) >= MILLISECONDS_THRESHOLD);
  const ms = inMilliseconds ? Number(whole) : Number(whole) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3));
  return sign === '-' ? -ms : ms;
}

function isoToMs(value: string): number {
  const match = ISO_PATTERN.exec(value.trim());
  if (!match) throw invalidInput(`provider time ${JSON.stringify(value)} is not ISO 8601`, { value });
  const [, year, month, day, hour, minute, second = '0', fraction = '', zone] = match as unknown as string[];
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) {
    throw invalidInput(`provider time ${JSON.stringify(value)} has an impossible date or time`, { value });
  }
  // Graph sends 7 fractional digits; anything past milliseconds is dropped, not rounded up.
  const milliseconds = Number(fraction.padEnd(3, '0').slice(0, 3));
  return Date.UTC(y, mo - 1, d, h, mi, s, milliseconds) - zoneOffsetMs(zone ?? 'Z');
}

function zoneOffsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59) throw invalidInput(`time zone offset ${zone} is impossible`, { zone });
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (hours * 60 + minutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
