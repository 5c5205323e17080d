import { describe, expect, it } from 'vitest';
import { formatInstant, isInstant, nextEntryInstant, systemClock, type Clock } from '../../src/core/clock.js';
import memoryStore from '../../src/stores/memory.js';

const LOG_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ms = (iso: string): number => Date.parse(iso);

describe('formatInstant', () => {
  it('formats epoch milliseconds as ISO 8601 UTC with milliseconds and Z', () => {
    expect(formatInstant(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatInstant(1_700_000_000_000)).toBe('2023-11-14T22:13:20.000Z');
    expect(formatInstant(1_700_000_000_007)).toBe('2023-11-14T22:13:20.007Z');
  });

  it('drops sub-millisecond fractions rather than rounding up', () => {
    expect(formatInstant(1_700_000_000_123.9)).toBe('2023-11-14T22:13:20.123Z');
    expect(formatInstant(1_700_000_000_999.999)).toBe('2023-11-14T22:13:20.999Z');
  });

  it('produces what isInstant accepts', () => {
    for (const value of [0, 946_684_800_000, 1_700_000_000_123, 4_102_444_799_999]) {
      expect(isInstant(formatInstant(value))).toBe(true);
    }
  });
});

describe('isInstant', () => {
  it('accepts the log form', () => {
    expect(isInstant('2025-01-02T03:04:05.678Z')).toBe(true);
    expect(isInstant('2024-02-29T23:59:59.999Z')).toBe(true);
  });

  it.each([
    '2025-01-02T03:04:05Z',
    '2025-01-02T03:04:05.67Z',
    '2025-01-02T03:04:05.6789Z',
    '2025-01-02T03:04:05.678z',
    '2025-01-02t03:04:05.678Z',
    '2025-01-02 03:04:05.678Z',
    '2025-01-02T03:04:05.678+00:00',
    '2025-01-02T03:04:05.678',
    '2025-01-02',
    ' 2025-01-02T03:04:05.678Z',
    '2025-01-02T03:04:05.678Z\n',
    '2025-13-02T03:04:05.678Z',
    '',
  ])('rejects %j', (value) => {
    expect(isInstant(value)).toBe(false);
  });

  it('rejects non-strings', () => {
    for (const value of [1_700_000_000_000, null, undefined, new Date(0), { at: '2025-01-02T03:04:05.678Z' }]) {
      expect(isInstant(value)).toBe(false);
    }
  });

  // BUG: isInstant relies on Date.parse, which in V8 rolls impossible days and hour 24 over
  // (2025-02-30 → 2025-03-02, 24:00 → next day) instead of returning NaN. So strings that
  // formatInstant can never produce pass as "the log's timestamp form", and sealEntry accepts them
  // as providerAt (storing a date that never existed and computing skewMs against March 2).
  it('rejects impossible calendar instants, which formatInstant never produces', () => {
    const impossible = ['2025-02-30T00:00:00.000Z', '2025-04-31T12:00:00.000Z', '2023-02-29T00:00:00.000Z', '2025-01-02T24:00:00.000Z'];
    for (const value of impossible) expect(formatInstant(Date.parse(value))).not.toBe(value);
    expect(impossible.filter((value) => isInstant(value))).toEqual([]);
  });
});

describe('nextEntryInstant', () => {
  it('uses the clock reading when there is no previous entry', () => {
    expect(nextEntryInstant(ms('2025-01-02T10:00:00.000Z'), undefined)).toBe('2025-01-02T10:00:00.000Z');
  });

  it('uses the clock reading when it is later than, or equal to, the previous at', () => {
    expect(nextEntryInstant(ms('2025-01-02T10:00:00.001Z'), '2025-01-02T10:00:00.000Z')).toBe('2025-01-02T10:00:00.001Z');
    expect(nextEntryInstant(ms('2025-01-02T10:00:00.000Z'), '2025-01-02T10:00:00.000Z')).toBe('2025-01-02T10:00:00.000Z');
  });

  it('keeps the previous at when the clock has stepped back', () => {
    expect(nextEntryInstant(ms('2025-01-02T09:59:00.000Z'), '2025-01-02T10:00:01.000Z')).toBe('2025-01-02T10:00:01.000Z');
    expect(nextEntryInstant(ms('2024-12-31T23:59:59.999Z'), '2025-01-01T00:00:00.000Z')).toBe('2025-01-01T00:00:00.000Z');
  });

  it('never runs backwards over a sequence from a clock that steps back', () => {
    const readings = ['10:00:00.000', '10:00:01.000', '09:59:00.000', '09:59:30.000', '10:00:00.500', '10:00:02.000'].map((t) =>
      ms(`2025-01-02T${t}Z`),
    );
    let index = 0;
    const clock: Clock = { now: () => readings[index++]! };
    const ats: string[] = [];
    let previous: string | undefined;
    for (let i = 0; i < readings.length; i += 1) {
      previous = nextEntryInstant(clock.now(), previous);
      ats.push(previous);
    }
    expect(ats).toEqual([
      '2025-01-02T10:00:00.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:02.000Z',
    ]);
  });

  it('systemClock reads the wall clock in epoch milliseconds', () => {
    const before = Date.now();
    const reading = systemClock.now();
    const after = Date.now();
    expect(reading).toBeGreaterThanOrEqual(before);
    expect(reading).toBeLessThanOrEqual(after);
  });
});

describe('log timestamps with a clock that steps back (memory store)', () => {
  it('stored at values never decrease and are all in the log form', async () => {
    const store = memoryStore();
    const readings = ['10:00:00.000', '10:00:01.000', '09:59:00.000', '10:00:02.000'].map((t) => ms(`2025-01-02T${t}Z`));
    const returned: string[] = [];
    for (const atMs of readings) {
      const entry = await store.append({ type: 'test.event', source: 'sdk', data: {} }, atMs);
      returned.push(entry.at);
    }
    const stored = (await store.readEntries()).map((entry) => entry.at);
    const expected = [
      '2025-01-02T10:00:00.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:01.000Z',
      '2025-01-02T10:00:02.000Z',
    ];
    expect(stored).toEqual(expected);
    expect(returned).toEqual(expected);
    expect(stored[2]).toBe(stored[1]);
    for (let i = 1; i < stored.length; i += 1) expect(stored[i]! >= stored[i - 1]!).toBe(true);
    for (const at of stored) {
      expect(at).toMatch(LOG_FORM);
      expect(isInstant(at)).toBe(true);
    }
    expect((await store.readEntries()).map((entry) => entry.index)).toEqual([0, 1, 2, 3]);
    expect((await store.verify()).ok).toBe(true);
    await store.close();
  });
});
