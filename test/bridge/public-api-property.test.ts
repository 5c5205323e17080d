import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { facetime } from '../../src/adapters/facetime.js';
import { BridgeError, createBridge, ERROR_CODES, type Bridge, type BridgeStore, type OpsRoom, type VerificationCall } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';

// Drives the public entry points with arbitrary JSON and with valid inputs one field away from valid.
// Property: every call resolves or rejects with a BridgeError of a stable code; a refused character
// planted in a field is refused with INVALID_INPUT naming that field; nothing the log holds has a
// refused character or an un-normalised string; and the log still verifies.

type Path = readonly (string | number)[];
/** A place in a valid input to spoil, and the field an INVALID_INPUT must name when a refused character is planted there. */
interface Spot {
  path: Path;
  field?: string;
  multiline?: boolean;
  /** Text to plant in when the valid input has none there. @default 'room-a' */
  sample?: string;
}

const rooms: OpsRoom[] = ['room-a', 'room-b'].map((id) => ({
  id,
  name: `Ops room ${id}`,
  publishedPhoneNumber: '+442072221234',
  device: { id: `${id}-device`, handles: { facetime: '+442072221234' } },
}));

// NFD on purpose in places: the log must hold the composed form.
const OFFICER = { collarNumber: '4721ab', warrantCardNumber: 'wc-100200', name: 'PC Rene\u0301e Dupont', force: 'Test Constabulary' };
const REASON = 'Checking on a caf\u0065\u0301 owner who reported a theft';
const SUPERVISOR = { collarNumber: 'sgt1', name: 'Sgt Zoe\u0308 Patel' };

// The citizen's side is read in the flows where she joins or is called back; in `officer-device` it is the officer's phone.
const CITIZEN_STARTS = [
  { officer: OFFICER, reason: REASON, flow: 'citizen-device', citizen: { platform: 'ios', apps: ['facetime'] } },
  { officer: OFFICER, reason: REASON, flow: 'citizen-device', citizen: { platform: 'android', browser: true }, roomIds: ['room-b', 'room-a'] },
  { officer: OFFICER, reason: REASON, flow: 'callback', citizen: { platform: 'ios', apps: ['facetime'], phoneNumber: '+447911123456' }, actor: 'app:frontline' },
];
const OFFICER_DEVICE_START = {
  officer: OFFICER,
  reason: REASON,
  flow: 'officer-device',
  officerDevice: { platform: 'ios' },
  location: { latitude: 51.5, longitude: -0.14, description: 'Outside the cafe\u0301' },
};
const COMMON_START_SPOTS: Spot[] = [
  ...['collarNumber', 'warrantCardNumber', 'name', 'force'].map((key) => ({ path: ['officer', key], field: `officer.${key}` })),
  ...['officer', 'reason', 'flow', 'actor', 'roomIds', 'location'].map((key) => ({ path: [key], field: key })),
  { path: ['roomIds', 0], field: 'roomIds[0]' },
  { path: ['location', 'description'], field: 'location.description' },
  { path: ['citizen'], field: 'citizen' },
  { path: ['citizen', 'phoneNumber'], field: 'citizen.phoneNumber' },
];
const CALLER_SPOTS = (side: string): Spot[] => [
  ...['platform', 'apps', 'browser'].map((key) => ({ path: [side, key], field: `${side}.${key}` })),
  // The User-Agent is read for capabilities and never logged, so what it holds is not the log's concern.
  { path: [side, 'userAgent'] },
];
const VALID_ATTESTATIONS = ['answered', 'connected', 'officer-identity-confirmed', 'ended'].map((fact) => ({
  fact,
  supervisor: SUPERVISOR,
  note: 'Warrant card checked on camera\r\nagainst the duty roster',
}));
const VALID_OUTCOMES = ['verified', 'not-verified', 'inconclusive'].map((outcome) => ({ outcome, supervisor: SUPERVISOR, note: 'Roster checked' }));
const SUPERVISOR_SPOTS: Spot[] = [
  { path: ['supervisor'], field: 'supervisor' },
  { path: ['supervisor', 'collarNumber'], field: 'supervisor.collarNumber' },
  { path: ['supervisor', 'name'], field: 'supervisor.name' },
  { path: ['note'], field: 'note', multiline: true },
];

// Every refused class, the list first; a note keeps line feed and tab, so those are planted only in one-line fields.
const REFUSED = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'];
const REFUSED_EVERYWHERE = [...REFUSED, '\u0000', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u00ad', '\u061c', '\u3164', '\ufe0f', '\u{e0041}', '\u0600', '\ufff9', '\ud800', '\udfff', '\uffff'];
const REFUSED_ON_ONE_LINE = [...REFUSED_EVERYWHERE, '\n', '\r', '\t'];

/** What the log may never hold, stated apart from the code under test: every Cc but LF and tab, Cf, Zl, Zp, surrogates, noncharacters. */
const NEVER_LOGGED = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Noncharacter_Code_Point}\u3164\ufe0f]/u;

const arbitraryJson = fc.oneof(fc.anything({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.constant(undefined));

function plant(text: string, at: number, character: string): string {
  const i = at % (text.length + 1);
  return `${text.slice(0, i)}${character}${text.slice(i)}`;
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], value);
}

function withValue(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  path.slice(0, -1).forEach((key, i) => {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  node[path.at(-1)!] = replacement;
  return copy;
}

/** An input with its expectation: a field that must be refused by name, or none (it may pass or fail, as a BridgeError). */
interface Case {
  input: unknown;
  refusedField?: string;
  /** Unchanged from a valid input. */
  valid?: boolean;
}

/** Valid inputs, then each with one spot replaced by arbitrary JSON or by its own text with a refused character planted. */
function cases(valid: readonly unknown[], spots: readonly Spot[]): fc.Arbitrary<Case> {
  const base = fc.constantFrom(...valid);
  const planted = fc.tuple(base, fc.constantFrom(...spots), fc.nat(), fc.nat()).map(([input, spot, at, pick]): Case => {
    const characters = spot.multiline ? REFUSED_EVERYWHERE : REFUSED_ON_ONE_LINE;
    const current = valueAt(input, spot.path);
    const text = plant(typeof current === 'string' ? current : (spot.sample ?? 'room-a'), at, characters[pick % characters.length]!);
    return { input: withValue(input, spot.path, text), ...(spot.field === undefined ? {} : { refusedField: spot.field }) };
  });
  const replaced = fc.tuple(base, fc.constantFrom(...spots), arbitraryJson).map(([input, spot, json]): Case => ({ input: withValue(input, spot.path, json) }));
  return fc.oneof(base.map((input): Case => ({ input, valid: true })), planted, replaced, arbitraryJson.map((input): Case => ({ input })));
}

const linkPart = (min: number, max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{${min},${max}}$`));
const validLinkRegistration = fc
  .array(fc.tuple(linkPart(8, 16), linkPart(16, 32)), { minLength: 1, maxLength: 3 })
  .map((parts) => ({ deviceId: 'room-a-device', actor: 'ops:operator-3', links: parts.map(([p, k]) => `https://facetime.apple.com/join#v=1&p=${p}&k=${k}`) }));

/** One call on the public API: what it does, with its expectation. */
type Step =
  | { kind: 'start' | 'attest' | 'outcome' | 'end' | 'readLog' | 'verifyLog' | 'erase'; case: Case }
  | { kind: 'links'; provider: Case; case: Case }
  | { kind: 'lookup'; reference: Case; case: Case };

const startCases = fc.oneof(
  cases(CITIZEN_STARTS, [...COMMON_START_SPOTS, ...CALLER_SPOTS('citizen')]),
  cases([OFFICER_DEVICE_START], [...COMMON_START_SPOTS, ...CALLER_SPOTS('officerDevice')]),
);

const actorCases = cases([{ actor: 'ops:operator-3' }], [{ path: ['actor'], field: 'actor' }]);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), case: startCases }),
  fc.record({ kind: fc.constant('attest' as const), case: cases(VALID_ATTESTATIONS, [{ path: ['fact'], field: 'fact' }, ...SUPERVISOR_SPOTS]) }),
  fc.record({ kind: fc.constant('outcome' as const), case: cases(VALID_OUTCOMES, [{ path: ['outcome'], field: 'outcome' }, ...SUPERVISOR_SPOTS]) }),
  fc.record({ kind: fc.constant('end' as const), case: actorCases }),
  fc.record({
    kind: fc.constant('readLog' as const),
    case: cases([{ actor: 'psd:inspector-7', purpose: 'complaint 123' }], ['actor', 'purpose', 'verificationId'].map((key) => ({ path: [key], field: key }))),
  }),
  fc.record({ kind: fc.constant('verifyLog' as const), case: actorCases }),
  fc.record({ kind: fc.constant('erase' as const), case: actorCases }),
  fc.record({
    kind: fc.constant('links' as const),
    provider: cases(['facetime'], [{ path: [], field: 'provider' }]),
    case: validLinkRegistration.chain((valid) =>
      cases([valid], [...['deviceId', 'actor', 'links'].map((key) => ({ path: [key], field: key })), { path: ['links', 0], field: 'links[0]' }]),
    ),
  }),
  // `reference: null` in the valid case means the reference of the latest call started.
  fc.record({ kind: fc.constant('lookup' as const), reference: cases([null], [{ path: [], field: 'reference', sample: 'K7Q-4MP' }]), case: actorCases }),
);

async function run(bridge: Bridge, step: Step, latest: () => VerificationCall | undefined): Promise<unknown> {
  const input = step.case.input as never;
  switch (step.kind) {
    case 'start':
      return bridge.startVerification(input);
    case 'attest':
      return latest()?.attest(input);
    case 'outcome':
      return latest()?.recordOutcome(input);
    case 'end':
      return latest()?.end(input);
    case 'readLog':
      return bridge.readLog(input);
    case 'verifyLog':
      return bridge.verifyLog(input);
    case 'erase':
      return bridge.erasePersonalData(input);
    case 'links':
      return bridge.registerLinks(step.provider.input as never, input);
    case 'lookup': {
      const reference = step.reference.input === null ? (latest()?.verification.reference ?? 'K7Q-4MP') : step.reference.input;
      return bridge.lookUpReference(reference as never, input);
    }
  }
}

// The arguments of a call, so a field can be expected only when every other argument is valid.
function argumentsOf(step: Step): Case[] {
  return [step.case, ...(step.kind === 'links' ? [step.provider] : step.kind === 'lookup' ? [step.reference] : [])];
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      yield key;
      yield* strings(item);
    }
  }
}

async function expectCleanLog(store: BridgeStore): Promise<void> {
  for (const entry of await store.readEntries()) {
    for (const text of strings(entry)) {
      expect(NEVER_LOGGED.test(text), `entry #${entry.index} ${entry.type} holds ${JSON.stringify(text)}`).toBe(false);
      expect(text.normalize('NFC'), `entry #${entry.index} ${entry.type} holds un-normalised text`).toBe(text);
    }
    if (entry.actor !== undefined) expect(entry.actor).not.toMatch(/[\n\t]/);
  }
}

describe('the public API under arbitrary input', () => {
  it('answers every call with a result or a BridgeError of a stable code, refuses planted characters by field, and keeps the log clean and verifiable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const store = memoryStore();
        const bridge = createBridge({ store, adapters: [facetime()], rooms, personalDataKey: randomBytes(32) });
        const background: unknown[] = [];
        bridge.on('background-error', (error) => background.push(error));
        let latest: VerificationCall | undefined = await bridge.startVerification(CITIZEN_STARTS[0] as never);
        try {
          for (const current of steps) {
            const args = argumentsOf(current);
            const planted = args.filter((c) => c.refusedField !== undefined);
            // Which of two spoiled arguments is checked first is not promised.
            const fieldKnown = planted.length > 0 && args.every((c) => c.valid || c.refusedField !== undefined);
            let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
            try {
              outcome = { ok: true, value: await run(bridge, current, () => latest) };
            } catch (error) {
              outcome = { ok: false, error };
            }
            if (!outcome.ok) {
              const { error } = outcome;
              expect(BridgeError.isInstance(error), `${current.kind} threw ${String(error)}`).toBe(true);
              expect(ERROR_CODES).toContain((error as BridgeError).code);
            }
            if (planted.length > 0) expect(outcome.ok, `${current.kind} accepted a refused character in ${planted[0]!.refusedField}`).toBe(false);
            if (fieldKnown) {
              const error = (outcome as { error: BridgeError }).error;
              expect(error.code).toBe('INVALID_INPUT');
              expect(planted.map((c) => c.refusedField)).toContain(error.details?.field);
            }
            if (current.kind === 'start' && outcome.ok) latest = outcome.value as VerificationCall;
          }
          await bridge.idle();
          await expectCleanLog(store);
          expect(background).toEqual([]);
          expect((await bridge.verifyLog({ actor: 'test:property' })).ok).toBe(true);
        } finally {
          await bridge.close();
          await store.close();
        }
      }),
      { seed: 20261203, numRuns: 500 },
    );
  }, 120_000);
});
