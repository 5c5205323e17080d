import { describe, expect, it } from 'vitest';
import { prepareAppend } from '../../src/core/audit/append.js';
import { canonicalJson, leafBytes, sealEntry, type AuditEntryInput } from '../../src/core/audit/entry.js';
import { MerkleFrontier, leafHash, merkleTreeHash, toHex } from '../../src/core/audit/merkle.js';
import { BridgeError } from '../../src/core/errors.js';
import type { JsonObject, JsonValue } from '../../src/core/json.js';

const AT = '2025-01-02T03:04:05.678Z';

function expectInvalid(run: () => unknown): BridgeError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(BridgeError.isInstance(caught), `expected a BridgeError, got ${String(caught)}`).toBe(true);
  const error = caught as BridgeError;
  expect(error.code).toBe('INVALID_INPUT');
  return error;
}

describe('sealEntry', () => {
  it('assigns index and at and copies the given fields', () => {
    const entry = sealEntry(
      { type: 'call.created', source: 'sdk', verificationId: 'vrf_1', provider: 'daily', actor: '4721AB', data: { a: 1 } },
      7,
      AT,
    );
    expect(entry).toEqual({
      index: 7,
      at: AT,
      type: 'call.created',
      source: 'sdk',
      verificationId: 'vrf_1',
      provider: 'daily',
      actor: '4721AB',
      data: { a: 1 },
    });
  });

  it('computes skewMs = at - providerAt in milliseconds, positive or negative', () => {
    const later = sealEntry({ type: 'participant.joined', source: 'provider', providerAt: '2025-01-02T03:04:04.000Z', data: {} }, 0, AT);
    expect(later.providerAt).toBe('2025-01-02T03:04:04.000Z');
    expect(later.skewMs).toBe(1678);

    const earlier = sealEntry({ type: 'participant.joined', source: 'provider', providerAt: '2025-01-02T03:05:05.679Z', data: {} }, 0, AT);
    expect(earlier.skewMs).toBe(-60_001);

    const same = sealEntry({ type: 'participant.joined', source: 'provider', providerAt: AT, data: {} }, 0, AT);
    expect(same.skewMs).toBe(0);
  });

  it('omits optional fields that are undefined (no keys with undefined values)', () => {
    const entry = sealEntry(
      {
        type: 'call.created',
        source: 'sdk',
        verificationId: undefined,
        provider: undefined,
        actor: undefined,
        providerAt: undefined,
        providerEventId: undefined,
        data: {},
      },
      0,
      AT,
    );
    expect(Object.keys(entry).sort()).toEqual(['at', 'data', 'index', 'source', 'type']);
    expect('skewMs' in entry).toBe(false);
    expect(canonicalJson(entry)).toBe('{"at":"2025-01-02T03:04:05.678Z","data":{},"index":0,"source":"sdk","type":"call.created"}');
  });

  it('accepts every source and a valid surrogate pair', () => {
    for (const source of ['sdk', 'provider', 'operator'] as const) {
      expect(sealEntry({ type: 'a.b', source, data: {} }, 0, AT).source).toBe(source);
    }
    expect(sealEntry({ type: 'a.b', source: 'sdk', data: { emoji: '\u{1F600}' } }, 0, AT).data).toEqual({ emoji: '😀' });
  });
});

describe('leafBytes / canonicalJson (RFC 8785)', () => {
  it('gives the exact canonical bytes of a hand-written entry (keys sorted, no whitespace)', () => {
    const entry = sealEntry(
      {
        verificationId: 'vrf_1',
        type: 'call.created',
        source: 'sdk',
        data: { z: 1, a: 'x', m: [true, null], b: { y: 'é', x: 0.5 } },
      },
      3,
      AT,
    );
    const expected =
      '{"at":"2025-01-02T03:04:05.678Z","data":{"a":"x","b":{"x":0.5,"y":"é"},"m":[true,null],"z":1},' +
      '"index":3,"source":"sdk","type":"call.created","verificationId":"vrf_1"}';
    const bytes = leafBytes(entry);
    expect(Buffer.from(bytes).toString('utf8')).toBe(expected);
    // "é" is two UTF-8 bytes, so the byte length is one more than the string length.
    expect(bytes.byteLength).toBe(expected.length + 1);
    expect(Buffer.from(bytes).includes(Buffer.from([0xc3, 0xa9]))).toBe(true);
    // Leaf hash computed independently with python3: sha256(b'\x00' + <the bytes above>)
    expect(toHex(leafHash(bytes))).toBe('5ee16ac573061878eb2c4abbbdbdeb33c9261c36713ec5366e2f1f88a02b3434');
  });

  it('puts providerAt, providerEventId and skewMs in sorted position', () => {
    const entry = sealEntry(
      { type: 'participant.joined', source: 'provider', provider: 'daily', providerEventId: 'ev-1', providerAt: '2025-01-02T03:04:04.000Z', data: {} },
      0,
      AT,
    );
    expect(Buffer.from(leafBytes(entry)).toString('utf8')).toBe(
      '{"at":"2025-01-02T03:04:05.678Z","data":{},"index":0,"provider":"daily","providerAt":"2025-01-02T03:04:04.000Z",' +
        '"providerEventId":"ev-1","skewMs":1678,"source":"provider","type":"participant.joined"}',
    );
  });

  it('writes numbers in their ECMAScript shortest form', () => {
    expect(canonicalJson({ n: 1.0, m: 1e21, k: -0, j: 0.1 })).toBe('{"j":0.1,"k":0,"m":1e+21,"n":1}');
  });

  it('is independent of the insertion order of keys', () => {
    const one = sealEntry({ type: 'a.b', source: 'sdk', data: { x: 1, y: 2 } }, 0, AT);
    const two = sealEntry({ data: { y: 2, x: 1 }, source: 'sdk', type: 'a.b' }, 0, AT);
    expect(Buffer.from(leafBytes(one)).equals(Buffer.from(leafBytes(two)))).toBe(true);
  });
});

describe('sealEntry validation', () => {
  const base: AuditEntryInput = { type: 'call.created', source: 'sdk', data: {} };

  it.each(['Call.created', 'call', 'call.', '.call', 'call..created', '1call.created', 'call created', 'call.Created', ''])(
    'rejects the type name %j',
    (type) => {
      expectInvalid(() => sealEntry({ ...base, type }, 0, AT));
    },
  );

  it('accepts dotted lower-case names with digits and dashes', () => {
    expect(sealEntry({ ...base, type: 'recording-2.ready.v2' }, 0, AT).type).toBe('recording-2.ready.v2');
  });

  it.each(['admin', 'SDK', '', 'system'])('rejects the source %j', (source) => {
    expectInvalid(() => sealEntry({ ...base, source: source as AuditEntryInput['source'] }, 0, AT));
  });

  it.each([
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['-Infinity nested in an array', { list: [1, [2, Number.NEGATIVE_INFINITY]] }],
    ['NaN nested in an object', { outer: { inner: Number.NaN } }],
  ] as [string, JsonObject][])('rejects a non-finite number in data (%s)', (_label, data) => {
    expectInvalid(() => sealEntry({ ...base, data }, 0, AT));
  });

  it('rejects non-plain objects in data (a Date, a Map, a class instance)', () => {
    expectInvalid(() => sealEntry({ ...base, data: { when: new Date(0) as unknown as JsonValue } }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: { m: new Map() as unknown as JsonValue } }, 0, AT));
    class Thing {
      x = 1;
    }
    expectInvalid(() => sealEntry({ ...base, data: { t: new Thing() as unknown as JsonValue } }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: new Date(0) as unknown as JsonObject }, 0, AT));
  });

  it('rejects data that is not an object', () => {
    expectInvalid(() => sealEntry({ ...base, data: null as unknown as JsonObject }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: [] as unknown as JsonObject }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: 'x' as unknown as JsonObject }, 0, AT));
  });

  it('rejects lone surrogates in values and keys', () => {
    expectInvalid(() => sealEntry({ ...base, data: { s: 'a\uD800b' } }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: { s: '\uDC00' } }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: { list: ['ok', 'x\uDBFF'] } }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, data: { ['k\uD801']: 1 } }, 0, AT));
  });

  it.each([
    '2025-01-02T03:04:05Z',
    '2025-01-02T03:04:05.67Z',
    '2025-01-02T03:04:05.6789Z',
    '2025-01-02T03:04:05.678+00:00',
    '2025-01-02 03:04:05.678Z',
    '2025-01-02T03:04:05.678z',
    '2025-01-02',
    'yesterday',
  ])('rejects providerAt %j, which is not YYYY-MM-DDTHH:mm:ss.sssZ', (providerAt) => {
    expectInvalid(() => sealEntry({ ...base, providerAt }, 0, AT));
  });

  it('rejects a numeric providerAt', () => {
    expectInvalid(() => sealEntry({ ...base, providerAt: 1700000000000 as unknown as string }, 0, AT));
  });

  it('rejects empty or over-long identifiers', () => {
    expectInvalid(() => sealEntry({ ...base, verificationId: '' }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, provider: 'x'.repeat(257) }, 0, AT));
    expectInvalid(() => sealEntry({ ...base, actor: 42 as unknown as string }, 0, AT));
    expect(sealEntry({ ...base, provider: 'daily', providerEventId: 'x'.repeat(256) }, 0, AT).providerEventId).toHaveLength(256);
  });

  it('rejects a providerEventId without its provider', () => {
    expectInvalid(() => sealEntry({ ...base, providerEventId: 'evt-1' }, 0, AT));
  });
});

describe('prepareAppend', () => {
  const input: AuditEntryInput = { type: 'test.event', source: 'sdk', data: { n: 1 } };
  const ms = (iso: string): number => Date.parse(iso);

  function frontierOf(count: number): { frontier: MerkleFrontier; hashes: Uint8Array[] } {
    const frontier = new MerkleFrontier();
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < count; i += 1) {
      const hash = leafHash(new TextEncoder().encode(`leaf-${i}`));
      hashes.push(hash);
      frontier.append(hash);
    }
    return { frontier, hashes };
  }

  it('uses the frontier size as the index and the clock as at', () => {
    const { frontier } = frontierOf(3);
    const prepared = prepareAppend(input, ms('2025-01-02T10:00:00.000Z'), { frontier });
    expect(prepared.entry.index).toBe(3);
    expect(prepared.entry.at).toBe('2025-01-02T10:00:00.000Z');
    expect(prepared.frontier.size).toBe(4);
  });

  it('gives index 0 on an empty log', () => {
    const prepared = prepareAppend(input, ms('2025-01-02T10:00:00.000Z'), { frontier: new MerkleFrontier() });
    expect(prepared.entry.index).toBe(0);
  });

  it('keeps the previous at when the clock steps back, and moves on when it is later', () => {
    const { frontier } = frontierOf(1);
    const back = prepareAppend(input, ms('2025-01-02T09:59:00.000Z'), { frontier, lastAt: '2025-01-02T10:00:01.000Z' });
    expect(back.entry.at).toBe('2025-01-02T10:00:01.000Z');

    const equal = prepareAppend(input, ms('2025-01-02T10:00:01.000Z'), { frontier, lastAt: '2025-01-02T10:00:01.000Z' });
    expect(equal.entry.at).toBe('2025-01-02T10:00:01.000Z');

    const later = prepareAppend(input, ms('2025-01-02T10:00:01.001Z'), { frontier, lastAt: '2025-01-02T10:00:01.000Z' });
    expect(later.entry.at).toBe('2025-01-02T10:00:01.001Z');
  });

  it('computes skewMs against the at actually used (the held-back one)', () => {
    const prepared = prepareAppend(
      { ...input, source: 'provider', providerAt: '2025-01-02T10:00:00.000Z' },
      ms('2025-01-02T09:00:00.000Z'),
      { frontier: new MerkleFrontier(), lastAt: '2025-01-02T10:00:05.000Z' },
    );
    expect(prepared.entry.at).toBe('2025-01-02T10:00:05.000Z');
    expect(prepared.entry.skewMs).toBe(5000);
  });

  it('does not mutate the frontier passed in, and returns the hashes of the new tree', () => {
    const { frontier, hashes } = frontierOf(5);
    const rootBefore = toHex(frontier.root());
    const prepared = prepareAppend(input, ms('2025-01-02T10:00:00.000Z'), { frontier });

    expect(frontier.size).toBe(5);
    expect(toHex(frontier.root())).toBe(rootBefore);
    expect(prepared.frontier).not.toBe(frontier);

    expect(toHex(prepared.leafHash)).toBe(toHex(leafHash(leafBytes(prepared.entry))));
    const expectedRoot = toHex(merkleTreeHash([...hashes, prepared.leafHash]));
    expect(toHex(prepared.rootAfter)).toBe(expectedRoot);
    expect(toHex(prepared.frontier.root())).toBe(expectedRoot);
  });

  it('validates the input before doing anything', () => {
    const { frontier } = frontierOf(2);
    expectInvalid(() => prepareAppend({ ...input, type: 'Bad' }, ms('2025-01-02T10:00:00.000Z'), { frontier }));
    expect(frontier.size).toBe(2);
  });
});
