import { describe, expect, it } from 'vitest';
import { checkRooms } from '../../src/core/bridge-config.js';
import { BridgeError, type ErrorCode } from '../../src/core/errors.js';
import { checkOfficer, inMemoryOfficerDirectory } from '../../src/core/officer-directory.js';
import { parseOutcome, type OutcomeInput } from '../../src/core/outcome.js';
import { createPersonalDataHasher } from '../../src/core/personal-data.js';
import { newVerificationId, newVerificationReference, parseVerificationReference } from '../../src/core/reference.js';
import { parseStartInput, type StartVerificationInput } from '../../src/core/start-input.js';
import { FLOWS } from '../../src/core/types.js';
import {
  MAX_REASON_LENGTH,
  MIN_REASON_LENGTH,
  parseE164,
  parseFlow,
  parseIdentifier,
  parseLocation,
  parseOfficer,
  parseReason,
  cleanText,
} from '../../src/core/validation.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectCode(run: () => unknown, code: ErrorCode): BridgeError {
  const error = thrown(run);
  expect(BridgeError.isInstance(error), `expected a BridgeError, got ${String(error)}`).toBe(true);
  expect((error as BridgeError).code).toBe(code);
  return error as BridgeError;
}

const expectInvalid = (run: () => unknown): BridgeError => expectCode(run, 'INVALID_INPUT');

const OFFICER = { collarNumber: '4721ab', warrantCardNumber: 'wc-123456', name: 'Jane Smith', force: 'Metropolitan Police Service' };

describe('parseE164', () => {
  it('accepts valid UK numbers and returns E.164', () => {
    expect(parseE164('+447911123456', 'phone')).toBe('+447911123456');
    expect(parseE164('+442072221234', 'phone')).toBe('+442072221234');
  });

  it('normalises spaces and surrounding whitespace', () => {
    expect(parseE164(' +44 7911 123456 ', 'phone')).toBe('+447911123456');
    expect(parseE164('+1 202 555 0123', 'phone')).toBe('+12025550123');
  });

  it.each(['07911123456', '447911123456', '+4420', '+4479111234567', '+', '', 'phone me', '+44abc'])('rejects %j', (value) => {
    const error = expectInvalid(() => parseE164(value, 'citizen.phone'));
    expect(error.details).toEqual({ field: 'citizen.phone' });
    expect(error.message).toContain('citizen.phone');
  });

  it.each([447911123456, null, undefined, { number: '+447911123456' }, ['+447911123456']])('rejects the non-string %j', (value) => {
    expectInvalid(() => parseE164(value, 'phone'));
  });

  it('never puts the offending number in the error message or details', () => {
    for (const value of ['07911123456', '+4420', '+4479111234567', '+44 7911 12345678']) {
      const error = expectInvalid(() => parseE164(value, 'phone'));
      const digits = value.replace(/\D/g, '');
      const everything = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)}`;
      expect(everything).not.toContain(digits);
      expect(everything).not.toContain(value);
      // Not even a recognisable run of the digits.
      expect(everything).not.toContain(digits.slice(-6));
    }
  });
});

describe('parseOfficer', () => {
  it('trims and upper-cases identifiers, trims text', () => {
    expect(parseOfficer({ ...OFFICER, collarNumber: ' 4721ab ', name: '  Jane Smith ' })).toEqual({
      collarNumber: '4721AB',
      warrantCardNumber: 'WC-123456',
      name: 'Jane Smith',
      force: 'Metropolitan Police Service',
    });
  });

  it.each(['', '4721-AB', '4721 AB', 'ABCDEFGHIJK', '47#1', 'ÄB12'])('rejects the collar number %j', (collarNumber) => {
    const error = expectInvalid(() => parseOfficer({ ...OFFICER, collarNumber }));
    expect(error.details).toEqual({ field: 'officer.collarNumber' });
  });

  it('accepts collar numbers of one to ten characters', () => {
    expect(parseOfficer({ ...OFFICER, collarNumber: '7' }).collarNumber).toBe('7');
    expect(parseOfficer({ ...OFFICER, collarNumber: 'abcde12345' }).collarNumber).toBe('ABCDE12345');
  });

  it.each(['', 'AB', '-AB123', 'WC 123', 'W'.repeat(21), 'WC_123'])('rejects the warrant card number %j', (warrantCardNumber) => {
    const error = expectInvalid(() => parseOfficer({ ...OFFICER, warrantCardNumber }));
    expect(error.details).toEqual({ field: 'officer.warrantCardNumber' });
  });

  it('accepts warrant card numbers of three to twenty characters', () => {
    expect(parseOfficer({ ...OFFICER, warrantCardNumber: 'ab1' }).warrantCardNumber).toBe('AB1');
    expect(parseOfficer({ ...OFFICER, warrantCardNumber: 'a'.repeat(20) }).warrantCardNumber).toBe('A'.repeat(20));
  });

  it('rejects non-string identifiers and missing officers', () => {
    expectInvalid(() => parseOfficer({ ...OFFICER, collarNumber: 4721 }));
    expectInvalid(() => parseOfficer({ ...OFFICER, warrantCardNumber: undefined }));
    expectInvalid(() => parseOfficer(null));
    expectInvalid(() => parseOfficer('4721AB'));
  });

  it.each([
    ['Jane\nSmith', 'U+000A'],
    ['Jane\u0000Smith', 'U+0000'],
    ['Jane\u0007', 'U+0007'],
    ['Jane\u007fSmith', 'U+007F'],
    ['Jane\u0085Smith', 'U+0085'],
    ['Jane\u2028Smith', 'U+2028'],
    ['Jane\u2029Smith', 'U+2029'],
    ['Jane\tSmith', 'U+0009'],
    ['Jane\u202eSmith', 'U+202E'],
  ])('rejects control characters in the name: %j', (name, codePoint) => {
    const error = expectInvalid(() => parseOfficer({ ...OFFICER, name }));
    expect(error.details).toEqual({ field: 'officer.name', codePoint });
  });

  it('bounds name and force lengths', () => {
    expectInvalid(() => parseOfficer({ ...OFFICER, name: 'J' }));
    expectInvalid(() => parseOfficer({ ...OFFICER, force: 'x'.repeat(101) }));
    expect(parseOfficer({ ...OFFICER, force: 'x'.repeat(100) }).force).toHaveLength(100);
  });
});

describe('parseReason', () => {
  it('has the documented bounds', () => {
    expect(MIN_REASON_LENGTH).toBe(10);
    expect(MAX_REASON_LENGTH).toBe(500);
  });

  it('accepts exactly the minimum and maximum lengths', () => {
    expect(parseReason('r'.repeat(MIN_REASON_LENGTH))).toBe('r'.repeat(MIN_REASON_LENGTH));
    expect(parseReason('r'.repeat(MAX_REASON_LENGTH))).toHaveLength(MAX_REASON_LENGTH);
  });

  it('rejects one under the minimum and one over the maximum, measured after trimming', () => {
    const short = expectInvalid(() => parseReason('r'.repeat(MIN_REASON_LENGTH - 1)));
    expect(short.details).toEqual({ field: 'reason', length: MIN_REASON_LENGTH - 1 });
    expectInvalid(() => parseReason(`   ${'r'.repeat(MIN_REASON_LENGTH - 1)}   `));
    const long = expectInvalid(() => parseReason('r'.repeat(MAX_REASON_LENGTH + 1)));
    expect(long.details).toEqual({ field: 'reason', length: MAX_REASON_LENGTH + 1 });
  });

  it('trims the reason and rejects control characters and non-text', () => {
    expect(parseReason('  Stop and search under s1 PACE  ')).toBe('Stop and search under s1 PACE');
    expectInvalid(() => parseReason('Stop and search\r\nFORGED LINE'));
    expectInvalid(() => parseReason(12345678901));
    expectInvalid(() => parseReason(undefined));
  });

  it('cleanText() reports the field it was given', () => {
    const error = expectInvalid(() => cleanText(5, 'some.field', { min: 1, max: 2 }));
    expect(error.details).toEqual({ field: 'some.field' });
  });
});

describe('parseLocation', () => {
  it('passes undefined through', () => {
    expect(parseLocation(undefined)).toBeUndefined();
  });

  it('accepts coordinates, accuracy and a description', () => {
    expect(parseLocation({ latitude: 51.5014, longitude: -0.1419, accuracyMetres: 12, description: ' Outside 12 High St ' })).toEqual({
      latitude: 51.5014,
      longitude: -0.1419,
      accuracyMetres: 12,
      description: 'Outside 12 High St',
    });
    expect(parseLocation({ description: 'Bus stop' })).toEqual({ description: 'Bus stop' });
  });

  it('accepts the inclusive bounds', () => {
    expect(parseLocation({ latitude: 90, longitude: -180 })).toEqual({ latitude: 90, longitude: -180 });
    expect(parseLocation({ latitude: -90, longitude: 180, accuracyMetres: 0 })).toEqual({ latitude: -90, longitude: 180, accuracyMetres: 0 });
    expect(parseLocation({ accuracyMetres: 100_000, description: 'x' })).toEqual({ accuracyMetres: 100_000, description: 'x' });
  });

  it.each([
    [{ latitude: 90.0001, longitude: 0 }, 'location.latitude'],
    [{ latitude: -91, longitude: 0 }, 'location.latitude'],
    [{ latitude: 0, longitude: 180.5 }, 'location.longitude'],
    [{ latitude: 0, longitude: -181 }, 'location.longitude'],
    [{ latitude: 51.5 }, 'location.longitude'],
    [{ longitude: -0.1 }, 'location.latitude'],
    [{ latitude: Number.NaN, longitude: 0 }, 'location.latitude'],
    [{ latitude: '51.5', longitude: 0 }, 'location.latitude'],
    [{ accuracyMetres: -1, description: 'x' }, 'location.accuracyMetres'],
    [{ accuracyMetres: 100_001, description: 'x' }, 'location.accuracyMetres'],
    [{ description: '' }, 'location.description'],
    [{ description: 'x'.repeat(201) }, 'location.description'],
    [{ description: 'a\u0000b' }, 'location.description'],
    [{}, 'location'],
  ] as [unknown, string][])('rejects %j (field %s)', (value, field) => {
    const error = expectInvalid(() => parseLocation(value));
    expect(error.details?.field).toBe(field);
  });

  it('rejects non-objects', () => {
    expectInvalid(() => parseLocation(null));
    expectInvalid(() => parseLocation('51.5,-0.1'));
  });
});

describe('parseFlow', () => {
  it('accepts the three flows', () => {
    expect(FLOWS).toEqual(['officer-device', 'citizen-device', 'callback']);
    for (const flow of FLOWS) expect(parseFlow(flow)).toBe(flow);
  });

  it.each(['video', 'CALLBACK', '', undefined, null, 1])('rejects %j', (value) => {
    const error = expectInvalid(() => parseFlow(value));
    expect(error.details).toEqual({ field: 'flow' });
  });
});

describe('parseOutcome', () => {
  const good: OutcomeInput = { supervisor: { collarNumber: 'ps12', name: 'Sgt Patel' }, outcome: 'verified' };

  it('upper-cases the supervisor collar number and keeps an optional note', () => {
    expect(parseOutcome(good)).toEqual({ supervisor: { collarNumber: 'PS12', name: 'Sgt Patel' }, outcome: 'verified' });
    expect('note' in parseOutcome(good)).toBe(false);
    expect(parseOutcome({ ...good, outcome: 'inconclusive', note: ' checked duty roster ' })).toEqual({
      supervisor: { collarNumber: 'PS12', name: 'Sgt Patel' },
      outcome: 'inconclusive',
      note: 'checked duty roster',
    });
  });

  it('rejects an unknown outcome, a missing supervisor, a malformed collar number or a bad note', () => {
    expectInvalid(() => parseOutcome({ ...good, outcome: 'approved' as OutcomeInput['outcome'] }));
    expectInvalid(() => parseOutcome({ ...good, supervisor: undefined as unknown as OutcomeInput['supervisor'] }));
    expectInvalid(() => parseOutcome({ ...good, supervisor: { collarNumber: 'PS-12', name: 'Sgt Patel' } }));
    expectInvalid(() => parseOutcome({ ...good, supervisor: { collarNumber: 'PS12', name: 'S' } }));
    expectInvalid(() => parseOutcome({ ...good, note: 'line one\u2028line two' }));
    expectInvalid(() => parseOutcome({ ...good, note: 'line one\u0000line two' }));
    expectInvalid(() => parseOutcome(null as unknown as OutcomeInput));
  });
});

describe('verification references', () => {
  const ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ';
  const PATTERN = new RegExp(`^[${ALPHABET}]{3}-[${ALPHABET}]{3}$`);

  it('1000 generated references all match the unambiguous pattern and parse to themselves', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const reference = newVerificationReference();
      expect(reference).toMatch(PATTERN);
      expect(reference).toMatch(/^[23456789ABCDEFGHJKMNPQRSTWXYZ]{3}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{3}$/);
      expect(parseVerificationReference(reference)).toBe(reference);
      seen.add(reference);
    }
    // 29^6 ≈ 595 million possibilities: 1000 draws should be (nearly) all distinct.
    expect(seen.size).toBeGreaterThan(990);
  });

  it('normalises what a person types', () => {
    expect(parseVerificationReference('k7q4mp')).toBe('K7Q-4MP');
    expect(parseVerificationReference(' K7Q-4MP ')).toBe('K7Q-4MP');
    expect(parseVerificationReference('k7q 4mp')).toBe('K7Q-4MP');
    expect(parseVerificationReference('K7Q-4MP')).toBe('K7Q-4MP');
  });

  it.each(['K7O-4MP', 'K7I-4MP', 'K7L-4MP', 'K70-4MP', 'K71-4MP', 'K7Q-4MU', 'K7Q-4MV', 'o00-111'])(
    'rejects the ambiguous characters in %j',
    (value) => {
      expectInvalid(() => parseVerificationReference(value));
    },
  );

  it.each(['', 'K7Q', 'K7Q-4M', 'K7Q-4MPX', 'K7Q_4MP', 'K7Q.4MP', 'ÄBC-DEF'])('rejects the malformed %j', (value) => {
    expectInvalid(() => parseVerificationReference(value));
  });

  it('new verification ids are vrf_ and 32 hex digits, and distinct', () => {
    const a = newVerificationId();
    const b = newVerificationId();
    expect(a).toMatch(/^vrf_[0-9a-f]{32}$/);
    expect(b).toMatch(/^vrf_[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
  });
});

describe('personal data hasher', () => {
  const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
  // base64 of bytes 0..31, from python3: base64.b64encode(bytes(range(32)))
  const KEY_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

  it('matches an independent HMAC-SHA256 of kind NUL value', () => {
    // python3: hmac.new(bytes(range(32)), b"phone\x00+447911123456", hashlib.sha256).hexdigest()
    expect(createPersonalDataHasher(KEY).hash('phone', '+447911123456')).toBe(
      'hmac-sha256:629761da0bafdd8be6453beb094864fb55ab9b3434af2d3a4f63c7d21acdcee1',
    );
  });

  it('is deterministic per key, and the same key as bytes or base64 gives the same hashes', () => {
    const a = createPersonalDataHasher(KEY);
    const b = createPersonalDataHasher(KEY_BASE64);
    expect(a.hash('phone', '+447911123456')).toBe(a.hash('phone', '+447911123456'));
    expect(a.hash('phone', '+447911123456')).toBe(b.hash('phone', '+447911123456'));
  });

  it('has the form hmac-sha256:<64 hex>', () => {
    expect(createPersonalDataHasher(KEY).hash('app-handle', 'someone@example')).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it('differs across keys, kinds and values', () => {
    const other = Uint8Array.from(KEY);
    other[31] = 0xff;
    const a = createPersonalDataHasher(KEY);
    const b = createPersonalDataHasher(other);
    expect(a.hash('phone', '+447911123456')).not.toBe(b.hash('phone', '+447911123456'));
    expect(a.hash('phone', '+447911123456')).not.toBe(a.hash('app-handle', '+447911123456'));
    expect(a.hash('phone', '+447911123456')).not.toBe(a.hash('phone', '+447911123457'));
    // The separator keeps kind and value apart: ("ab", "c") and ("a", "bc") differ.
    expect(a.hash('ab', 'c')).not.toBe(a.hash('a', 'bc'));
  });

  it('rejects keys under 32 bytes with INVALID_CONFIG', () => {
    expectCode(() => createPersonalDataHasher(new Uint8Array(31)), 'INVALID_CONFIG');
    expectCode(() => createPersonalDataHasher(new Uint8Array(0)), 'INVALID_CONFIG');
    // 31 bytes as base64.
    expectCode(() => createPersonalDataHasher(Buffer.alloc(31, 7).toString('base64')), 'INVALID_CONFIG');
    // A short passphrase is not 32 bytes once base64-decoded.
    expectCode(() => createPersonalDataHasher('correct horse battery staple'), 'INVALID_CONFIG');
    expect(createPersonalDataHasher(new Uint8Array(32)).hash('k', 'v')).toMatch(/^hmac-sha256:/);
  });

  it('does not keep a reference to the caller’s key bytes', () => {
    const key = Uint8Array.from(KEY);
    const hasher = createPersonalDataHasher(key);
    const before = hasher.hash('phone', '+447911123456');
    key.fill(0);
    expect(hasher.hash('phone', '+447911123456')).toBe(before);
  });
});

describe('identifiers', () => {
  it('refuses look-alikes that upper-case into the ASCII pattern', () => {
    // 'ſ' (long s) and 'ı' (dotless i) upper-case to S and I.
    expect(expectInvalid(() => parseOfficer({ ...OFFICER, collarNumber: '47ſ1' })).details).toEqual({ field: 'officer.collarNumber' });
    expect(expectInvalid(() => parseOfficer({ ...OFFICER, warrantCardNumber: 'wc-ı23456' })).details).toEqual({ field: 'officer.warrantCardNumber' });
  });

  it('refuses an invisible character in a collar number rather than trimming it away', () => {
    expect(expectInvalid(() => parseOfficer({ ...OFFICER, collarNumber: '\ufeff4721AB' })).details).toEqual({
      field: 'officer.collarNumber',
      codePoint: 'U+FEFF',
    });
  });

  it('parseIdentifier keeps one clean line and bounds its length', () => {
    expect(parseIdentifier(' cli:jsmith ', 'actor')).toBe('cli:jsmith');
    expect(expectInvalid(() => parseIdentifier('cli:jsmith\r\n', 'actor')).details).toEqual({ field: 'actor', codePoint: 'U+000D' });
    expect(expectInvalid(() => parseIdentifier('x'.repeat(129), 'actor')).details).toEqual({ field: 'actor', length: 129 });
    expect(expectInvalid(() => parseIdentifier(7, 'deviceId')).details).toEqual({ field: 'deviceId' });
  });

  it('refuses a zero-width space inside a phone number that the phone library would skip', () => {
    expect(expectInvalid(() => parseE164('+44\u200b7911123456', 'citizen.phoneNumber')).details).toEqual({
      field: 'citizen.phoneNumber',
      codePoint: 'U+200B',
    });
  });
});

describe('parseStartInput', () => {
  const providers = new Set(['daily', 'facetime']);
  const hasher = createPersonalDataHasher(new Uint8Array(32));
  const valid: StartVerificationInput = {
    officer: OFFICER,
    reason: 'Checking on a report of a person in distress',
    flow: 'citizen-device',
    citizen: { platform: 'android', browser: true },
  };
  const parse = (input: unknown) => parseStartInput(input as StartVerificationInput, providers, hasher);

  it('stores the NFC form of the officer, reason and location', () => {
    const parsed = parse({ ...valid, officer: { ...OFFICER, name: 'Rene\u0301e Dupont' }, reason: 'Caf\u0065\u0301 owner reported a theft', location: { description: 'Outside the cafe\u0301' } });
    expect(parsed.officer.name).toBe('Ren\u00e9e Dupont');
    expect(parsed.reason).toBe('Caf\u00e9 owner reported a theft');
    expect(parsed.location?.description).toBe('Outside the caf\u00e9');
  });

  it('refuses a newline or an invisible character in the actor, and defaults it from the collar number', () => {
    expect(parse(valid).actor).toBe('officer:4721AB');
    expect(parse({ ...valid, actor: ' app:frontline ' }).actor).toBe('app:frontline');
    expect(expectInvalid(() => parse({ ...valid, actor: 'app:frontline\nsupervisor:PS1' })).details).toEqual({ field: 'actor', codePoint: 'U+000A' });
    expect(expectInvalid(() => parse({ ...valid, actor: 'app:\u202efrontline' })).details).toEqual({ field: 'actor', codePoint: 'U+202E' });
    expect(expectInvalid(() => parse({ ...valid, actor: null })).details).toEqual({ field: 'actor' });
  });

  it.each([null, 'room-a', 42, { 0: 'room-a' }])('refuses roomIds %j with INVALID_INPUT, not a TypeError', (roomIds) => {
    expect(expectInvalid(() => parse({ ...valid, roomIds })).details).toEqual({ field: 'roomIds' });
  });

  it('checks each room id, naming its position', () => {
    expect(parse({ ...valid, roomIds: [' room-a ', 'room-b'] }).roomIds).toEqual(['room-a', 'room-b']);
    expect(expectInvalid(() => parse({ ...valid, roomIds: ['room-a', null] })).details).toEqual({ field: 'roomIds[1]' });
    expect(expectInvalid(() => parse({ ...valid, roomIds: ['room\u200b-a'] })).details).toEqual({ field: 'roomIds[0]', codePoint: 'U+200B' });
  });

  it('names the caller fields under the side they describe, and refuses a citizen that is not an object', () => {
    expect(expectInvalid(() => parse({ ...valid, citizen: { platform: 'amiga' } })).details).toEqual({ field: 'citizen.platform' });
    expect(expectInvalid(() => parse({ ...valid, citizen: { apps: [{}] } })).details).toEqual({ field: 'citizen.apps' });
    expect(expectInvalid(() => parse({ ...valid, flow: 'officer-device', officerDevice: { browser: 'yes' } })).details).toEqual({
      field: 'officerDevice.browser',
    });
    expect(expectInvalid(() => parse({ ...valid, flow: 'officer-device', citizen: 'her' })).details).toEqual({ field: 'citizen' });
  });
});

describe('text the force supplies', () => {
  const officer = { collarNumber: '4721AB', warrantCardNumber: 'WC-123456', name: 'Jane Smith', force: 'Test Constabulary' };
  const roster = (name: string, photoRef?: string) =>
    inMemoryOfficerDirectory([{ collarNumber: '4721AB', warrantCardNumber: 'WC-123456', name, onDuty: true, ...(photoRef ? { photoRef } : {}) }]);

  it('treats a roster record holding a refused character as an unavailable directory, and reports why', async () => {
    for (const directory of [roster('Jane\u202eSmith'), roster('Jane Smith', 'hr://photos/\u200b4721')]) {
      const errors: unknown[] = [];
      expect(await checkOfficer(directory, officer, (error) => errors.push(error))).toEqual({ status: 'directory-unavailable', flagged: true });
      expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    }
  });

  it('logs the NFC form of the roster name', async () => {
    const check = await checkOfficer(roster('Rene\u0301e Dupont'), { ...officer, name: 'Ren\u00e9e Dupont' }, () => undefined);
    expect(check).toMatchObject({ status: 'on-duty', rosterName: 'Ren\u00e9e Dupont' });
  });

  it('refuses a room name or device handle holding a refused character as INVALID_CONFIG, and trims handles', () => {
    const room = { id: 'room-a', name: 'Ops room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { daily: ' room-a ' } } };
    const providers = new Set(['daily']);
    expect(checkRooms([room], providers)[0]!.device.handles).toEqual({ daily: 'room-a' });
    expectCode(() => checkRooms([{ ...room, name: 'Ops room \u202eA' }], providers), 'INVALID_CONFIG');
    expectCode(() => checkRooms([{ ...room, device: { ...room.device, handles: { daily: 'room-a\n' } } }], providers), 'INVALID_CONFIG');
    expectCode(() => checkRooms([{ ...room, device: { ...room.device, handles: { daily: 7 as unknown as string } } }], providers), 'INVALID_CONFIG');
  });
});
