import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCheckpointSigner,
  createPersonalDataHasher,
  exportEvidenceBundle,
  generateSigningKey,
  leafBytes,
  leafHash,
  parseSigningKey,
  serializeBundle,
  signCheckpoint,
  storeProver,
  toHex,
  verifyEvidenceBundle,
  type AuditEntry,
  type CheckpointSigningKey,
  type EvidenceBundle,
  type LogWriter,
  type VerificationCall,
} from '../../src/index.js';
import { signDisclosure } from '../../src/core/audit/bundle-disclosure.js';
import memoryStore from '../../src/stores/memory.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { expectBridgeError } from '../stores/store-suite.js';

// A key whose 8-digit hash holds a letter, so that writing it in upper case changes the text.
function keyWithLetteredHash(name: string): CheckpointSigningKey {
  for (;;) {
    const key = parseSigningKey(generateSigningKey(name).signingKey);
    if (/[a-f]/.test(key.verifierKey.split('+')[1]!)) return key;
  }
}

const KEY = keyWithLetteredHash('police.example/vcb-bundle-test');
const OTHER = parseSigningKey(generateSigningKey('police.example/vcb-bundle-test').signingKey);
const PERSONAL_DATA_KEY = randomBytes(32);
const PHONE = '+447911123456';

let box: Sandbox;
let write: LogWriter;
let callback: VerificationCall;
let other: VerificationCall;
let live: VerificationCall;

beforeAll(async () => {
  box = await openSandbox({ personalDataKey: PERSONAL_DATA_KEY, checkpoints: { signer: createCheckpointSigner({ key: KEY }) } });
  write = (input) => box.store.append(input, Date.now());
  callback = await box.start({ flow: 'callback', citizen: { phoneNumber: '+44 7911 123456', browser: true } });
  await box.play(callback, 'ops-joined', 'other-joined', 'call-ended');
  await box.bridge.idle();
  other = await box.start();
  await box.play(other, 'ops-joined', 'call-ended');
  await box.bridge.idle();
  live = await box.start();
  await box.bridge.idle();
});
afterAll(() => box.close());

const exportOf = (call: VerificationCall, extra: Partial<Parameters<typeof exportEvidenceBundle>[2]> = {}) =>
  exportEvidenceBundle(box.store, write, { verificationId: call.verification.id, actor: 'psd:inspector-7', recipient: 'CPS', purpose: 'charging decision', ...extra });

const check = (bundle: EvidenceBundle | string, verifierKey?: string) =>
  verifyEvidenceBundle(typeof bundle === 'string' ? bundle : serializeBundle(bundle), verifierKey === undefined ? {} : { verifierKey });

describe('exportEvidenceBundle', () => {
  it('exports the sealed entries of one verification with proofs that verify offline', async () => {
    const bundle = await exportOf(callback);
    const own = (await box.store.readEntries({ verificationId: callback.verification.id })).filter((e) => e.index <= bundle.entries.at(-1)!.entry.index);
    expect(bundle.entries.map((item) => item.entry)).toEqual(own);
    expect(bundle.entries.at(-1)!.entry.type).toBe('verification.sealed');
    expect(bundle.verifierKey).toBe(KEY.verifierKey);
    expect(bundle.disclosure).toBeUndefined();
    expect(check(bundle)).toMatchObject({ ok: true, verificationId: callback.verification.id, entries: own.length, keySource: 'bundle', disclosures: [] });
    expect(check(bundle, KEY.verifierKey)).toMatchObject({ ok: true, keySource: 'argument', verifierKey: KEY.verifierKey });
  });

  it('holds nothing of any other verification, and the phone number only as its keyed hash', async () => {
    const text = serializeBundle(await exportOf(callback));
    expect(text).not.toContain(other.verification.id);
    expect(text).not.toContain(other.verification.reference);
    expect(text).not.toContain('7911123456');
    expect(text).toContain(createPersonalDataHasher(PERSONAL_DATA_KEY).hash('phone', PHONE));
  });

  it('logs the export: who, which verification, to whom, why, what was disclosed', async () => {
    const bundle = await exportOf(callback);
    const [record] = (await box.store.readEntries({ type: 'audit.exported', verificationId: callback.verification.id })).slice(-1);
    expect(record).toMatchObject({
      actor: 'psd:inspector-7',
      verificationId: callback.verification.id,
      data: { recipient: 'CPS', purpose: 'charging decision', sealIndex: bundle.entries.at(-1)!.entry.index, entries: bundle.entries.length, disclosed: [] },
    });
  });

  it('discloses a phone number only when asked, with both keys, signed by the log key', async () => {
    const bundle = await exportOf(callback, {
      disclose: [{ kind: 'phone', value: '+44 7911 123456' }],
      personalData: createPersonalDataHasher(PERSONAL_DATA_KEY),
      signingKey: KEY,
    });
    expect(bundle.disclosure).toContain(`phone ${PHONE} hmac-sha256:`);
    expect(check(bundle, KEY.verifierKey)).toMatchObject({ ok: true, disclosures: [{ kind: 'phone', value: PHONE }] });
    const [record] = (await box.store.readEntries({ type: 'audit.exported' })).slice(-1);
    expect(record!.data.disclosed).toEqual(['phone']);
    expect(JSON.stringify(await box.store.readEntries())).not.toContain('7911123456');
  });

  it.each([
    ['no keys', { personalData: undefined, signingKey: undefined }, 'INVALID_CONFIG'],
    ['a signing key other than the checkpoint’s', { signingKey: OTHER }, 'INVALID_CONFIG'],
    ['a number the verification does not hold', { disclose: [{ kind: 'phone' as const, value: '+447700900123' }] }, 'INVALID_INPUT'],
    ['a number that is not one', { disclose: [{ kind: 'phone' as const, value: 'call me' }] }, 'INVALID_INPUT'],
  ])('refuses a disclosure with %s', async (_name, extra, code) => {
    const before = (await box.store.head()).size;
    await expectBridgeError(
      exportOf(callback, { disclose: [{ kind: 'phone', value: PHONE }], personalData: createPersonalDataHasher(PERSONAL_DATA_KEY), signingKey: KEY, ...extra }),
      code as 'INVALID_CONFIG',
    );
    expect((await box.store.head()).size).toBe(before);
  });

  it('refuses a live verification, an unknown one, and an export without actor or recipient', async () => {
    await expectBridgeError(exportOf(live), 'NOT_FOUND');
    await expectBridgeError(exportEvidenceBundle(box.store, write, { verificationId: 'vrf_nope', actor: 'a', recipient: 'b' }), 'NOT_FOUND');
    await expectBridgeError(exportOf(callback, { actor: ' ' }), 'INVALID_INPUT');
    await expectBridgeError(exportOf(callback, { recipient: '' }), 'INVALID_INPUT');
  });

  it('refuses a log with no checkpoint over the seal', async () => {
    const store = memoryStore();
    const append: LogWriter = (input) => store.append(input, Date.now());
    await append({ verificationId: 'v1', type: 'test.event', source: 'sdk', data: {} });
    await append({ verificationId: 'v1', type: 'verification.sealed', source: 'sdk', data: { entries: [0] } });
    await expectBridgeError(exportEvidenceBundle(store, append, { verificationId: 'v1', actor: 'a', recipient: 'b' }), 'NOT_FOUND');
  });
});

describe('verifyEvidenceBundle', () => {
  let bundle: EvidenceBundle;
  let text: string;
  beforeAll(async () => {
    bundle = await exportOf(callback);
    text = serializeBundle(bundle);
  });
  const edited = (edit: (copy: EvidenceBundle) => void): EvidenceBundle => {
    const copy = structuredClone(bundle);
    edit(copy);
    return copy;
  };

  it('gives, for a flipped bit in every byte of the file, the reason of the part it hit', async () => {
    const disclosed = await exportOf(callback, { disclose: [{ kind: 'phone', value: PHONE }], personalData: createPersonalDataHasher(PERSONAL_DATA_KEY), signingKey: KEY });
    const file = serializeBundle(disclosed);
    const bytes = Buffer.from(file, 'utf8');
    const parts = partsOf(disclosed, file);
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < bytes.length; i += 1) {
      // Every byte once, at a bit that walks through all eight positions across the file.
      const bit = (i * 3 + (i >> 3)) % 8;
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ (1 << bit);
      const expected = expectedFailure(copy, disclosed, parts.find((p) => p.start <= i && i < p.end));
      seen.add(expected.reason);
      const result = verifyEvidenceBundle(copy);
      const got = result.ok ? { reason: 'accepted' } : { reason: result.reason, ...(expected.entryIndex === undefined ? {} : { entryIndex: result.entryIndex }) };
      if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`byte ${i} bit ${bit}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
    expect(wrong).toEqual([]);
    // Each part of the file was hit in a way that kept the rest readable, so each reason was held to.
    expect([...seen].sort()).toEqual(['disclosure', 'foreign-entry', 'inclusion', 'leaf-altered', 'malformed', 'origin', 'signature', 'wrong-key']);
  }, 180_000);

  it('refuses as malformed a verifierKey not written exactly as exported, though it names the same key', () => {
    // The base64 key data may itself hold a plus: only the first two separate fields.
    const [, name, hash, keyData] = /^([^+]+)\+([^+]+)\+(.+)$/.exec(KEY.verifierKey) as unknown as [string, string, string, string];
    // 33 bytes of key data are 44 base64 characters with no padding: any padding or space is a second spelling.
    const variants = {
      exported: { text: KEY.verifierKey, detail: undefined },
      upperCaseHash: { text: `${name}+${hash.toUpperCase()}+${keyData}`, detail: 'not written as exported' },
      leadingSpace: { text: ` ${KEY.verifierKey}`, detail: 'not written as exported' },
      trailingNewline: { text: `${KEY.verifierKey}\n`, detail: 'not written as exported' },
      padded: { text: `${KEY.verifierKey}=`, detail: 'not a valid' },
      paddedGroup: { text: `${KEY.verifierKey}====`, detail: 'not a valid' },
      spaceInKeyData: { text: `${name}+${hash}+${keyData.slice(0, 20)} ${keyData.slice(20)}`, detail: 'not a valid' },
    };
    for (const [variant, { text: key, detail }] of Object.entries(variants)) {
      const result = check(edited((copy) => (copy.verifierKey = key)));
      if (detail === undefined) expect(result, variant).toMatchObject({ ok: true });
      else expect(result, variant).toMatchObject({ ok: false, reason: 'malformed', detail: expect.stringContaining(detail) });
    }
  });

  it('says order, naming it, when the same entry is given twice', () => {
    const twice = edited((copy) => copy.entries.splice(2, 0, structuredClone(copy.entries[2]!)));
    expect(check(twice)).toMatchObject({ ok: false, reason: 'order', entryIndex: bundle.entries[2]!.entry.index, detail: expect.stringContaining('appears twice') });
    const sealTwice = edited((copy) => copy.entries.push(structuredClone(copy.entries.at(-1)!)));
    expect(check(sealTwice)).toMatchObject({ ok: false, reason: 'order', entryIndex: bundle.entries.at(-1)!.entry.index });
  });

  it('says unsealed-entry for a proven entry of the verification that its seal does not list', async () => {
    const store = memoryStore();
    const append: LogWriter = (input) => store.append(input, Date.now());
    const listed = await append({ verificationId: 'vrf_hand', type: 'test.event', source: 'sdk', data: { n: 0 } });
    const unlisted = await append({ verificationId: 'vrf_hand', type: 'test.event', source: 'sdk', data: { n: 1 } });
    const seal = await append({ verificationId: 'vrf_hand', type: 'verification.sealed', source: 'sdk', data: { entries: [listed.index] } });
    const sealed = await handBuilt(store, 'vrf_hand', [listed, seal]);
    expect(check(sealed, KEY.verifierKey)).toMatchObject({ ok: true, entries: 2, sealIndex: seal.index });
    const withUnlisted = await handBuilt(store, 'vrf_hand', [listed, unlisted, seal]);
    expect(check(withUnlisted, KEY.verifierKey)).toMatchObject({ ok: false, reason: 'unsealed-entry', entryIndex: unlisted.index });
  });

  it.each([0, 3, -1])('says incomplete when entry %i is dropped', (position) => {
    const result = check(edited((copy) => copy.entries.splice(position, 1)));
    expect(result).toMatchObject({ ok: false, reason: 'incomplete' });
  });

  it('says order when two entries are swapped', () => {
    const result = check(edited((copy) => ([copy.entries[1], copy.entries[2]] = [copy.entries[2]!, copy.entries[1]!])));
    expect(result).toMatchObject({ ok: false, reason: 'order', entryIndex: bundle.entries[1]!.entry.index });
  });

  it('says foreign-entry for a genuine, proven entry of another verification', async () => {
    const foreign = (await exportOf(other)).entries[0]!;
    const result = check(edited((copy) => {
      copy.entries.push(foreign);
      copy.entries.sort((a, b) => a.entry.index - b.entry.index);
    }));
    expect(result).toMatchObject({ ok: false, reason: 'foreign-entry', entryIndex: foreign.entry.index });
  });

  it('says wrong-key when checked with another key, even one with the same name', () => {
    expect(check(bundle, OTHER.verifierKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('says wrong-key when the bundle names another valid key than the one that signed, with or without a trusted key', () => {
    const renamed = edited((copy) => (copy.verifierKey = OTHER.verifierKey));
    expect(check(renamed, KEY.verifierKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
    expect(check(renamed)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('says wrong-key for a bundle re-signed with another key when the checker names the force’s key', () => {
    const note = signCheckpoint({ origin: bundle.origin, size: Number(bundle.checkpoint.split('\n')[1]), root: Buffer.from(bundle.checkpoint.split('\n')[2]!, 'base64') }, OTHER);
    const forged = edited((copy) => {
      copy.checkpoint = note;
      copy.verifierKey = OTHER.verifierKey;
    });
    expect(check(forged, KEY.verifierKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
    // Self-consistent, so without a trusted key all a checker learns is which key it names.
    expect(check(forged)).toMatchObject({ ok: true, keySource: 'bundle', verifierKey: OTHER.verifierKey });
  });

  it('says leaf-altered for an edited entry, and inclusion when its leaf hash was recomputed to match', () => {
    const entryEdit = (copy: EvidenceBundle) => (copy.entries[2]!.entry.data.edited = true);
    expect(check(edited(entryEdit))).toMatchObject({ ok: false, reason: 'leaf-altered', entryIndex: bundle.entries[2]!.entry.index });
    const recomputed = edited(entryEdit);
    recomputed.entries[2]!.leafHash = toHex(leafHash(leafBytes(recomputed.entries[2]!.entry)));
    expect(check(recomputed)).toMatchObject({ ok: false, reason: 'inclusion', entryIndex: bundle.entries[2]!.entry.index });
  });

  it('says inclusion for a proof cut short or padded', () => {
    expect(check(edited((copy) => copy.entries[0]!.inclusionProof.pop()))).toMatchObject({ ok: false, reason: 'inclusion' });
    expect(check(edited((copy) => copy.entries[0]!.inclusionProof.push('0'.repeat(64))))).toMatchObject({ ok: false, reason: 'inclusion' });
  });

  it('says signature for an altered checkpoint, origin for another origin, malformed for a reformatted file', () => {
    expect(check(edited((copy) => (copy.checkpoint = copy.checkpoint.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`))))).toMatchObject({ ok: false, reason: 'signature' });
    expect(check(edited((copy) => (copy.origin = 'another.example/log')))).toMatchObject({ ok: false, reason: 'origin' });
    expect(check(JSON.stringify(bundle))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(check(`${text}\n`)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(check(edited((copy) => Object.assign(copy, { note: 'hi' })))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(check('not json')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(check(edited((copy) => (copy.entries = [])))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('says disclosure for a disclosure the log key did not sign', async () => {
    const disclosed = await exportOf(callback, {
      disclose: [{ kind: 'phone', value: PHONE }],
      personalData: createPersonalDataHasher(PERSONAL_DATA_KEY),
      signingKey: KEY,
    });
    const forged = structuredClone(disclosed);
    forged.disclosure = disclosed.disclosure!.replace(PHONE, '+447700900123');
    expect(check(forged, KEY.verifierKey)).toMatchObject({ ok: false, reason: 'disclosure' });
  });

  it('says disclosure for a disclosure the log key did sign, pairing a number with a keyed hash no entry holds', async () => {
    const hasher = createPersonalDataHasher(PERSONAL_DATA_KEY);
    const disclosed = await exportOf(callback, { disclose: [{ kind: 'phone', value: PHONE }], personalData: hasher, signingKey: KEY });
    expect(check(disclosed, KEY.verifierKey)).toMatchObject({ ok: true });
    // Signed over a made-up entry that holds the other number's hash: the signature is genuine, the pairing is not in the bundle.
    const stranger = '+447911123457';
    const madeUp = { ...disclosed.entries[0]!.entry, data: { citizenPhoneNumberHash: hasher.hash('phone', stranger) } } as AuditEntry;
    const { note } = signDisclosure(callback.verification.id, [{ kind: 'phone', value: stranger }], [madeUp], hasher, KEY);
    const result = check({ ...disclosed, disclosure: note }, KEY.verifierKey);
    expect(result).toMatchObject({ ok: false, reason: 'disclosure', detail: expect.stringContaining('no entry holds') });
  });

  it('throws INVALID_INPUT only for a malformed trusted key', () => {
    expect(() => check(bundle, 'not a key')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

/** A bundle built by hand from a store's entries, with a checkpoint over the whole store signed by KEY. */
async function handBuilt(store: ReturnType<typeof memoryStore>, verificationId: string, entries: AuditEntry[]): Promise<EvidenceBundle> {
  const { size } = await store.head();
  const prover = await storeProver(store, size);
  return {
    format: 'verification-call-bridge/evidence-bundle/v1',
    verificationId,
    origin: KEY.name,
    verifierKey: KEY.verifierKey,
    checkpoint: signCheckpoint({ origin: KEY.name, size, root: await prover.root() }, KEY),
    entries: await Promise.all(entries.map(async (entry) => ({ entry, leafHash: toHex(leafHash(leafBytes(entry))), inclusionProof: (await prover.inclusionProof(entry.index, size)).map(toHex) }))),
  };
}

type Expected = { reason: string; entryIndex?: number };
/** Where a value of the bundle lies in its file, in bytes, and what a flip there must give once the file still reads as a bundle. */
type Part = { start: number; end: number; expect: (flipped: EvidenceBundle) => Expected };

function partsOf(bundle: EvidenceBundle, file: string): Part[] {
  const parts: Part[] = [];
  let cursor = 0;
  const mark = (valueText: string, expect: Part['expect']) => {
    const at = file.indexOf(valueText, cursor);
    if (at < 0) throw new Error(`cannot find ${valueText.slice(0, 40)} in the file`);
    cursor = at + valueText.length;
    const start = Buffer.byteLength(file.slice(0, at));
    parts.push({ start, end: start + Buffer.byteLength(valueText), expect });
  };
  const firstEntry = bundle.entries[0]!.entry.index;
  mark(JSON.stringify(bundle.verificationId), () => ({ reason: 'foreign-entry', entryIndex: firstEntry }));
  mark(JSON.stringify(bundle.origin), () => ({ reason: 'origin' }));
  mark(JSON.stringify(bundle.verifierKey), () => ({ reason: 'malformed' }));
  mark(JSON.stringify(bundle.checkpoint), (flipped) => ({ reason: noteFailure(flipped.checkpoint, bundle.checkpoint) }));
  bundle.entries.forEach((item, k) => {
    const at = (flipped: EvidenceBundle) => flipped.entries[k]!.entry.index;
    mark(JSON.stringify(item.entry, null, 2).replace(/\n/g, '\n      '), (flipped) => ({ reason: 'leaf-altered', entryIndex: at(flipped) }));
    mark(JSON.stringify(item.leafHash), (flipped) => ({ reason: 'leaf-altered', entryIndex: at(flipped) }));
    for (const node of item.inclusionProof) mark(JSON.stringify(node), (flipped) => ({ reason: 'inclusion', entryIndex: at(flipped) }));
  });
  mark(JSON.stringify(bundle.disclosure), () => ({ reason: 'disclosure' }));
  return parts;
}

/** What a flip must give: `malformed` unless the file still reads as a bundle of the same shape, else what the part it hit says. */
function expectedFailure(bytes: Buffer, original: EvidenceBundle, part: Part | undefined): Expected {
  let flipped: EvidenceBundle;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    flipped = JSON.parse(text) as EvidenceBundle;
    if (serializeBundle(flipped) !== text || !sameShape(flipped, original)) return { reason: 'malformed' };
  } catch {
    return { reason: 'malformed' };
  }
  if (!part) throw new Error('a flip outside every value left the file a bundle: the parts are incomplete');
  return part.expect(flipped);
}

function sameShape(flipped: EvidenceBundle, original: EvidenceBundle): boolean {
  const hex = (value: unknown) => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
  const keys = (value: object) => Object.keys(value).join();
  return (
    keys(flipped) === keys(original) &&
    flipped.format === original.format &&
    ['verificationId', 'origin', 'verifierKey', 'checkpoint', 'disclosure'].every((field) => typeof flipped[field as keyof EvidenceBundle] === 'string') &&
    flipped.entries.length === original.entries.length &&
    flipped.entries.every(
      (item, k) =>
        keys(item) === keys(original.entries[k]!) &&
        Number.isSafeInteger(item.entry?.index) &&
        hex(item.leafHash) &&
        Array.isArray(item.inclusionProof) &&
        item.inclusionProof.every(hex),
    )
  );
}

/** How a signed note changed in one place fails to open with KEY, by C2SP signed-note's rules. */
function noteFailure(note: string, original: string): string {
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return 'malformed';
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return 'malformed';
  const signature = note.slice(split + 2, -1);
  if (signature === original.slice(original.lastIndexOf('\n\n') + 2, -1)) return 'signature';
  const match = /^\u2014 ([^ ]+) ([A-Za-z0-9+/]+={0,2})$/.exec(signature);
  const bytes = match && Buffer.from(match[2]!, 'base64');
  const strict = bytes && bytes.toString('base64') === match[2] && match[2]!.length % 4 === 0;
  if (!match || !strict || bytes.length < 5 || /[\s+\u0085\u00a0]/u.test(match[1]!)) return 'malformed';
  return match[1] === KEY.name && bytes.readUInt32BE(0) === KEY.keyId ? 'signature' : 'wrong-key';
}
