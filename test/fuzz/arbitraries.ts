import fc from 'fast-check';
import type { ByteEdit, HeaderEdit } from './requests.js';
import { isHeaderValueByte } from './requests.js';

/** How a case's body is authenticated before the header edits: properly, not at all, or under a wrong secret. */
export type Auth = 'signed' | 'unsigned' | 'forged';

/** One fuzz case, before it is turned into bytes for a provider (see `buildCase`). */
export type FuzzCase =
  | { kind: 'mutated'; template: number; bodyEdits: ByteEdit[]; resign: boolean; headerEdits: HeaderEdit[] }
  | { kind: 'path'; template: number; path: PathShape }
  | { kind: 'headers'; template: number; extra: [string, string][]; auth: Auth }
  | { kind: 'body'; body: BodyShape; auth: Auth; extra: [string, string][] };

/** A path as the generator describes it; `buildCase` spells it out for the provider. */
export interface PathShape {
  prefix: string;
  name: string;
  query: string;
}

/** A body as the generator describes it. */
export type BodyShape =
  | { shape: 'bytes'; bytes: Uint8Array }
  | { shape: 'json'; value: unknown }
  | { shape: 'nested'; depth: number; open: '[' | '{"a":' | '{"value":[' }
  | { shape: 'number'; text: string }
  | { shape: 'field'; template: number; at: number; value: unknown };

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const anyByte = fc.integer({ min: 0, max: 255 });
const headerByte = anyByte.filter(isHeaderValueByte);

const byteEdit = (byte: fc.Arbitrary<number>): fc.Arbitrary<ByteEdit> =>
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fraction, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ op: fc.constant('insert' as const), at: fraction, byte }),
    fc.record({ op: fc.constant('delete' as const), at: fraction }),
    fc.record({ op: fc.constant('replace' as const), at: fraction, byte }),
  );

const headerEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('value' as const), which: fraction, edit: byteEdit(headerByte) }), weight: 4 },
  fc.record({ op: fc.constant('drop' as const), which: fraction }),
  fc.record({ op: fc.constant('duplicate' as const), which: fraction }),
  fc.record({ op: fc.constant('case' as const), which: fraction, pattern: fc.integer({ min: 0, max: 2 ** 30 - 1 }) }),
);

const headerText = (maxLength: number) => fc.string({ unit: headerByte.map((b) => String.fromCharCode(b)), maxLength });

// Names the adapters read, so random values land where they matter. Framing headers (length, encoding,
// connection, host) are left out: the transports own them, and node's client refuses to send most mixes.
const READ_HEADERS = ['x-webhook-signature', 'x-webhook-timestamp', 'x-zm-signature', 'x-zm-request-timestamp', 'agora-signature', 'agora-signature-v2', 'content-type', '__proto__', 'constructor'];
const headerName = fc.oneof(fc.constantFrom(...READ_HEADERS), fc.stringMatching(/^x-[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/));
// Random text, and values shaped like each provider's signatures and timestamps; the longest are kept so
// six of them and a long path stay under node's 16 KiB header limit, which is the server's, not the handler's.
const headerValue = fc.oneof(
  headerText(80),
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.stringMatching(/^v0=[0-9a-f]{64}$/),
  fc.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
  fc.integer({ min: -1e12, max: 1e13 }).map(String),
  headerText(1200),
);
const extraHeaders = fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 });
const auth = fc.constantFrom<Auth>('signed', 'unsigned', 'forged');

/** Paths: the provider's own spelt other ways, near misses, `..`, unicode, bad escapes, long ones, queries. */
const pathShape: fc.Arbitrary<PathShape> = fc.record({
  prefix: fc.constantFrom('/webhooks/', '/webhooks', '/', '//webhooks/', '/Webhooks/', '/webhooks//', '/webhooks/./', '/x/../webhooks/', '/webhooks/%2e%2e/webhooks/', '/%77ebhooks/'),
  name: fc.oneof(
    { arbitrary: fc.constantFrom('=', '=encoded', '=upper', '=alias', '=dotdot', '=suffix', '=slash'), weight: 3 },
    fc.string({ maxLength: 30 }),
    fc.string({ unit: fc.constantFrom('%', '2', 'e', 'E', 'f', 'F', '0', 'C', '/', '.', 'a', '?', '#', '\\'), maxLength: 20 }),
    fc.string({ unit: 'grapheme', maxLength: 10 }),
    fc.integer({ min: 1000, max: 6000 }).map((n) => 'a'.repeat(n)),
  ),
  query: fc.oneof(
    fc.constant(''),
    fc.constant('?'),
    fc.string({ maxLength: 20 }).map((q) => `?${q}`),
    fc.string({ maxLength: 40 }).map((token) => `?validationToken=${encodeURIComponent(token)}`),
    fc.constant('?validationToken='),
  ),
});

const jsonValue = fc.jsonValue({ maxDepth: 4 });
// Values that have upset parsers: wrong types, huge and tiny numbers, strings past the log's limits, deep structures.
const oddValue = fc.oneof(
  jsonValue,
  fc.constantFrom(null, true, -1, 0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, '', 'NaN', '1e999', '2026-02-30T25:61:61Z', [], {}),
  fc.integer({ min: 257, max: 5000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 3000 }).map((n) => JSON.parse('['.repeat(n) + ']'.repeat(n)) as unknown),
);

/** Bodies: random bytes, random JSON, deep nesting, huge numbers, and the provider's own fields given odd values. */
const bodyShape = (templates: number): fc.Arbitrary<BodyShape> =>
  fc.oneof(
    fc.record({ shape: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 600 }) }),
    fc.record({ shape: fc.constant('json' as const), value: jsonValue }),
    // Daily's unsigned verification ping is {"test": …} without a "type"; these land on both sides of that line.
    fc.record({ shape: fc.constant('json' as const), value: fc.dictionary(fc.constantFrom('test', 'type', 'id'), jsonValue) }),
    fc.record({ shape: fc.constant('nested' as const), depth: fc.integer({ min: 1, max: 20_000 }), open: fc.constantFrom('[' as const, '{"a":' as const, '{"value":[' as const) }),
    fc.record({ shape: fc.constant('number' as const), text: fc.constantFrom('1e999999', '-1e999999', '123456789012345678901234567890', `0.${'0'.repeat(400)}1`, '-0', `1${'0'.repeat(5000)}`) }),
    { arbitrary: fc.record({ shape: fc.constant('field' as const), template: fc.nat({ max: templates - 1 }), at: fraction, value: oddValue }), weight: 4 },
  );

/** Every kind of case for a provider with `templates` genuine deliveries, in the proportions the suite runs them. */
export function fuzzCase(templates: number): fc.Arbitrary<FuzzCase> {
  const template = fc.nat({ max: templates - 1 });
  return fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('mutated' as const),
        template,
        bodyEdits: fc.array(byteEdit(anyByte), { maxLength: 3 }),
        resign: fc.boolean(),
        headerEdits: fc.array(headerEdit, { maxLength: 3 }),
      }),
      weight: 5,
    },
    { arbitrary: fc.record({ kind: fc.constant('path' as const), template, path: pathShape }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('headers' as const), template, extra: extraHeaders, auth }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('body' as const), body: bodyShape(templates), auth, extra: extraHeaders }), weight: 3 },
  );
}
