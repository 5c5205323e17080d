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
  toHex,
  verifyEvidenceBundle,
  type EvidenceBundle,
  type LogWriter,
  type VerificationCall,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { expectBridgeError } from '../stores/store-suite.js';

const KEY = parseSigningKey(generateSigningKey('police.example/vcb-bundle-test').signingKey);
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

  it('fails for every single-bit flip of every byte of the file', () => {
    const bytes = Buffer.from(text, 'utf8');
    const passed: number[] = [];
    for (let i = 0; i < bytes.length; i += 1) {
      const copy = Buffer.from(bytes);
      copy[i] = copy[i]! ^ 0x01;
      if (verifyEvidenceBundle(copy).ok) passed.push(i);
    }
    expect(passed).toEqual([]);
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

  it('throws INVALID_INPUT only for a malformed trusted key', () => {
    expect(() => check(bundle, 'not a key')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
