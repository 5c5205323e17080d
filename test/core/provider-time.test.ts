import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/core/errors.js';
import {
  clockSkewMs,
  normalizeProviderTime,
  providerTimeToEpochMs,
  type ProviderTime,
} from '../../src/core/provider-time.js';

// 1700000000 s after the epoch is 2023-11-14T22:13:20Z (checked with `date -u -d @1700000000`).
const T1700 = '2023-11-14T22:13:20.000Z';

function expectInvalid(time: ProviderTime): BridgeError {
  let caught: unknown;
  try {
    normalizeProviderTime(time);
  } catch (error) {
    caught = error;
  }
  expect(BridgeError.isInstance(caught), `expected a BridgeError for ${JSON.stringify(time)}, got ${String(caught)}`).toBe(true);
  expect((caught as BridgeError).code).toBe('INVALID_INPUT');
  // The other entry point rejects it the same way.
  expect(() => providerTimeToEpochMs(time)).toThrow(BridgeError);
  return caught as BridgeError;
}

describe('numeric provider times', () => {
  it('reads integer epoch seconds', () => {
    expect(normalizeProviderTime({ value: 1700000000 })).toBe(T1700);
    expect(normalizeProviderTime({ value: 1700000000, unit: 'seconds' })).toBe(T1700);
    expect(providerTimeToEpochMs({ value: 1700000000 })).toBe(1_700_000_000_000);
  });

  it('reads epoch milliseconds', () => {
    expect(normalizeProviderTime({ value: 1700000000123 })).toBe('2023-11-14T22:13:20.123Z');
    expect(normalizeProviderTime({ value: 1700000000123, unit: 'milliseconds' })).toBe('2023-11-14T22:13:20.123Z');
  });

  it('truncates fractional milliseconds', () => {
    expect(normalizeProviderTime({ value: 1700000000123.9, unit: 'milliseconds' })).toBe('2023-11-14T22:13:20.123Z');
  });

  it('reads float seconds to whole milliseconds', () => {
    expect(normalizeProviderTime({ value: 1700000000.123456 })).toBe('2023-11-14T22:13:20.123Z');
    // 1700000000.1 is not exactly representable; it must still give .100, not .099.
    expect(normalizeProviderTime({ value: 1700000000.1 })).toBe('2023-11-14T22:13:20.100Z');
    expect(normalizeProviderTime({ value: 1700000000.5, unit: 'seconds' })).toBe('2023-11-14T22:13:20.500Z');
  });

  it.each([
    [1700000000.1236, '2023-11-14T22:13:20.123Z'],
    [1700000000.9999, '2023-11-14T22:13:20.999Z'],
    [1700000000.9995, '2023-11-14T22:13:20.999Z'],
    [1700000000.0009, '2023-11-14T22:13:20.000Z'],
    [1700000000.9999996, '2023-11-14T22:13:20.999Z'],
    [1700000000.123, '2023-11-14T22:13:20.123Z'],
  ])('drops the digits of %s s beyond milliseconds, never rounding up', (value, expected) => {
    expect(normalizeProviderTime({ value })).toBe(expected);
    expect(normalizeProviderTime({ value, unit: 'seconds' })).toBe(expected);
    expect(normalizeProviderTime({ value: String(value) })).toBe(expected);
  });

  it.each([
    ['1700000000.1236', '2023-11-14T22:13:20.123Z'],
    // More digits than a double holds: read as written, where Number() would round to …21.000.
    ['1700000000.99999999999', '2023-11-14T22:13:20.999Z'],
    ['1700000000123.9999999', '2023-11-14T22:13:20.123Z'],
    ['1700000000.0000001', '2023-11-14T22:13:20.000Z'],
  ])('reads the numeric string %j digit by digit', (value, expected) => {
    expect(normalizeProviderTime({ value })).toBe(expected);
  });

  it('drops digits beyond milliseconds of a time just before 2000 rather than rounding it into range', () => {
    // 946684799.9999 s is 1999-12-31T23:59:59.999Z: still before 2000, so still implausible.
    expectInvalid({ value: 946684799.9999 });
    expectInvalid({ value: '946684799.9999999999' });
    expectInvalid({ value: 946684799999.9, unit: 'milliseconds' });
  });

  it('reads numeric strings, with surrounding spaces', () => {
    expect(normalizeProviderTime({ value: '1700000000' })).toBe(T1700);
    expect(normalizeProviderTime({ value: '1700000000123' })).toBe('2023-11-14T22:13:20.123Z');
    expect(normalizeProviderTime({ value: '1700000000.25' })).toBe('2023-11-14T22:13:20.250Z');
    expect(normalizeProviderTime({ value: ' 1700000000 ' })).toBe(T1700);
    expect(normalizeProviderTime({ value: '1700000000', unit: 'seconds' })).toBe(T1700);
  });

  it("'auto' tells seconds from milliseconds by magnitude; an explicit unit overrides it", () => {
    // 2100-01-01T00:00:00Z = 4102444800 s: still seconds under 'auto'.
    expect(normalizeProviderTime({ value: 4102444800 })).toBe('2100-01-01T00:00:00.000Z');
    expect(normalizeProviderTime({ value: 4102444800, unit: 'auto' })).toBe('2100-01-01T00:00:00.000Z');
    // The same number declared as milliseconds is January 1970: implausible.
    expectInvalid({ value: 4102444800, unit: 'milliseconds' });
    // A millisecond value declared as seconds is tens of thousands of years away: implausible.
    expectInvalid({ value: 1700000000000, unit: 'seconds' });
    expectInvalid({ value: '1700000000000', unit: 'seconds' });
    // 946684800000 ms = 2000-01-01T00:00:00Z: 'auto' sees milliseconds.
    expect(normalizeProviderTime({ value: 946684800000 })).toBe('2000-01-01T00:00:00.000Z');
  });
});

describe('ISO 8601 / RFC 3339 provider times', () => {
  it.each([
    ['2025-01-02T03:04:05Z', '2025-01-02T03:04:05.000Z'],
    ['2025-01-02T03:04:05.678Z', '2025-01-02T03:04:05.678Z'],
    ['2025-01-02T03:04:05.6Z', '2025-01-02T03:04:05.600Z'],
    ['2025-01-02T03:04:05+01:00', '2025-01-02T02:04:05.000Z'],
    ['2025-01-02T03:04:05-05:30', '2025-01-02T08:34:05.000Z'],
    ['2025-01-02T03:04:05+0530', '2025-01-01T21:34:05.000Z'],
    ['2025-01-02T03:04:05+01', '2025-01-02T02:04:05.000Z'],
    ['2025-01-01T00:30:00+01:00', '2024-12-31T23:30:00.000Z'],
    ['2025-01-02T03:04Z', '2025-01-02T03:04:00.000Z'],
    ['2025-01-02T03:04+02:00', '2025-01-02T01:04:00.000Z'],
    ['2025-01-02T03:04:05.9999999Z', '2025-01-02T03:04:05.999Z'],
    ['2025-01-02T03:04:05.1234567Z', '2025-01-02T03:04:05.123Z'],
    ['2025-12-31T23:59:59.9999999Z', '2025-12-31T23:59:59.999Z'],
    ['2025-01-02t03:04:05z', '2025-01-02T03:04:05.000Z'],
    ['2025-01-02 03:04:05Z', '2025-01-02T03:04:05.000Z'],
    ['2025-01-02T03:04:05,5Z', '2025-01-02T03:04:05.500Z'],
    ['  2025-01-02T03:04:05Z  ', '2025-01-02T03:04:05.000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000Z'],
    ['2199-12-31T23:59:59.999Z', '2199-12-31T23:59:59.999Z'],
  ])('%j → %s', (value, expected) => {
    expect(normalizeProviderTime({ value })).toBe(expected);
    expect(providerTimeToEpochMs({ value })).toBe(Date.parse(expected));
  });

  it('ignores the unit for ISO strings', () => {
    expect(normalizeProviderTime({ value: '2025-01-02T03:04:05Z', unit: 'milliseconds' })).toBe('2025-01-02T03:04:05.000Z');
  });
});

describe('rejections', () => {
  it.each(['garbage', '', '   ', 'yesterday', '2025-01-02', '03:04:05', '2025/01/02T03:04:05Z', '2025-01-02T03:04:05', '-1700000000', '0x6553F100', '1.7e9', 'NaN', 'Infinity'])(
    'rejects the string %j',
    (value) => {
      expectInvalid({ value });
    },
  );

  it.each([
    '2025-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-00-10T00:00:00Z',
    '2025-01-00T00:00:00Z',
    '2025-01-02T24:00:00Z',
    '2025-01-02T03:60:00Z',
    '2025-01-02T03:04:61Z',
  ])('rejects the impossible date or time %j', (value) => {
    expectInvalid({ value });
  });

  it.each(['2025-01-02T03:04:05+25:00', '2025-01-02T03:04:05+24:00', '2025-01-02T03:04:05-23:60', '2025-01-02T03:04:05+2500'])(
    'rejects the impossible offset in %j',
    (value) => {
      expectInvalid({ value });
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('rejects the number %s', (value) => {
    expectInvalid({ value });
    expectInvalid({ value, unit: 'seconds' });
    expectInvalid({ value, unit: 'milliseconds' });
  });

  it('rejects implausible instants: before 2000 or from 2200 on', () => {
    expectInvalid({ value: '1999-12-31T23:59:59.999Z' });
    expectInvalid({ value: '2200-01-01T00:00:00Z' });
    expectInvalid({ value: '1970-01-01T00:00:00Z' });
    expectInvalid({ value: 0 });
    expectInvalid({ value: -1700000000 });
    expectInvalid({ value: 946684799 }); // 1999-12-31T23:59:59Z in seconds
    expectInvalid({ value: 7258118400 }); // 2200-01-01T00:00:00Z in seconds
    // A ms value passed with unit 'seconds'.
    expectInvalid({ value: 1700000000123, unit: 'seconds' });
    // A seconds value passed with unit 'milliseconds'.
    expectInvalid({ value: 1700000000, unit: 'milliseconds' });
  });

  it('names the offending value in the error details', () => {
    const error = expectInvalid({ value: 'garbage' });
    expect(error.details).toEqual({ value: 'garbage' });
  });
});

describe('clockSkewMs', () => {
  it('is at minus providerAt in milliseconds', () => {
    expect(clockSkewMs('2025-01-02T03:04:05.678Z', '2025-01-02T03:04:04.000Z')).toBe(1678);
    expect(clockSkewMs('2025-01-02T03:04:04.000Z', '2025-01-02T03:04:05.678Z')).toBe(-1678);
    expect(clockSkewMs('2025-01-02T00:00:00.000Z', '2025-01-01T23:59:59.999Z')).toBe(1);
    expect(clockSkewMs(T1700, T1700)).toBe(0);
  });
});
