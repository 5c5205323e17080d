import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from '../../src/core/audit/checkpoint.js';
import { openNote, parseVerifierKey, signNote } from '../../src/core/audit/signed-note.js';
import { generateSigningKey, loadSigningKey, parseSigningKey } from '../../src/core/audit/signing-key.js';

// The example of Go's golang.org/x/mod/sumdb/note documentation, a published signed-note vector.
// Ed25519 is deterministic, so signing its text with its key must give its note byte for byte.
const GO = {
  signingKey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  verifierKey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  note:
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n" +
    '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
};

// Computed outside this code base with python3's `cryptography` Ed25519 and hashlib: seed bytes 0..31,
// key ID = sha256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], checkpoint text "name\n8\nbase64(root)\n" where the
// root is that of the 8-leaf letter tree in merkle.test.ts.
const PY = {
  name: 'police.example/vcb-test',
  keyId: 0xd0cd039b,
  signingKey: 'PRIVATE+KEY+police.example/vcb-test+d0cd039b+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f',
  verifierKey: 'police.example/vcb-test+d0cd039b+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4',
  root: 'a5dac6b1ff1dca13dcf9423dcbf1bbb4dbce7e8cbf7f4c014cf40c6c8171a2bd',
  note:
    'police.example/vcb-test\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n\n' +
    '— police.example/vcb-test 0M0DmyDQSRhlD/rJITbLGaAZxUB9rDz5adpj2V9T6pvigsGBrISiIVgjqh7C1c+68mpw9ZHz9l8PsEFQ3wjP1BKepAE=\n',
};

const dir = mkdtempSync(join(tmpdir(), 'vcb-note-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('signed notes (C2SP signed-note, Ed25519)', () => {
  it('reproduces the Go sumdb/note example byte for byte, and opens it', () => {
    const key = parseSigningKey(GO.signingKey);
    expect(key.verifierKey).toBe(GO.verifierKey);
    expect(signNote(GO.text, key)).toBe(GO.note);
    expect(openNote(GO.note, parseVerifierKey(GO.verifierKey))).toEqual({ ok: true, text: GO.text });
  });

  it('reproduces an independently computed checkpoint, key ID and verifier key', () => {
    const key = parseSigningKey(PY.signingKey);
    expect(key.name).toBe(PY.name);
    expect(key.keyId).toBe(PY.keyId);
    expect(key.verifierKey).toBe(PY.verifierKey);
    const root = Uint8Array.from(Buffer.from(PY.root, 'hex'));
    expect(signCheckpoint({ origin: PY.name, size: 8, root }, key)).toBe(PY.note);
    const opened = openCheckpoint(PY.note, parseVerifierKey(PY.verifierKey));
    expect(opened).toEqual({ ok: true, checkpoint: { origin: PY.name, size: 8, root } });
  });

  it('ignores signatures by other keys, and says wrong-key when the trusted key signed nothing', () => {
    const other = parseSigningKey(generateSigningKey('witness.example/w1').signingKey);
    const cosigned = `${PY.note}${signNote(GO.text, other).split('\n\n')[1]}`;
    expect(openNote(cosigned, parseVerifierKey(PY.verifierKey))).toMatchObject({ ok: true });
    const opened = openNote(PY.note, parseVerifierKey(other.verifierKey));
    expect(opened).toMatchObject({ ok: false, reason: 'wrong-key' });
    // Same name, another key: the key ID differs, so it is another key.
    const sameName = parseSigningKey(generateSigningKey(PY.name).signingKey);
    expect(openNote(PY.note, parseVerifierKey(sameName.verifierKey))).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('refuses altered text or an altered signature, and a second bad signature by the same key', () => {
    const key = parseVerifierKey(PY.verifierKey);
    expect(openNote(PY.note.replace('\n8\n', '\n9\n'), key)).toMatchObject({ ok: false, reason: 'signature' });
    const sigStart = PY.note.lastIndexOf(' ') + 12;
    const badSig = `${PY.note.slice(0, sigStart)}${PY.note[sigStart] === 'A' ? 'B' : 'A'}${PY.note.slice(sigStart + 1)}`;
    expect(openNote(badSig, key)).toMatchObject({ ok: false, reason: 'signature' });
    const doubled = `${PY.note}${badSig.slice(badSig.lastIndexOf('\n\n') + 2)}`;
    expect(openNote(doubled, key)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it.each([
    ['no blank line before the signatures', PY.note.replace('\n\n', '\n')],
    ['no final newline', PY.note.slice(0, -1)],
    ['no signature lines', PY.note.slice(0, PY.note.lastIndexOf('\n\n') + 2)],
    ['a hyphen for the em dash', PY.note.replace('—', '-')],
    ['a tab in the text', PY.note.replace('\n8\n', '\n8\t\n')],
    ['a carriage return', PY.note.replace('\n8\n', '\r\n8\n')],
    ['a signature that is not base64', PY.note.replace('0M0Dmy', '0M0Dm!')],
    ['a signature of four bytes', `${PY.note.slice(0, PY.note.lastIndexOf('\n\n'))}\n\n— ${PY.name} 0M0Dmw==\n`],
    ['a key name with a plus', PY.note.replace(`— ${PY.name}`, `— ${PY.name}+x`)],
    ['a lone surrogate', PY.note.replace('8', '\uD800')],
    ['101 signature lines', PY.note + PY.note.slice(PY.note.lastIndexOf('\n\n') + 2).repeat(100)],
  ])('says malformed for a note with %s', (_name, note) => {
    expect(openNote(note, parseVerifierKey(PY.verifierKey))).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('never throws for input that is not text', () => {
    for (const value of [undefined, null, 42, {}, Buffer.from(PY.note)]) {
      expect(openNote(value as unknown as string, parseVerifierKey(PY.verifierKey))).toMatchObject({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses to sign text without a final newline or with control characters', () => {
    const key = parseSigningKey(PY.signingKey);
    for (const text of ['no newline', 'tab\there\n', 'bell\u0007\n']) {
      expect(() => signNote(text, key)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

describe('verifier keys', () => {
  it('accepts the Go example and an upper-case hash, giving the canonical text back', () => {
    expect(parseVerifierKey(GO.verifierKey)).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3, verifierKey: GO.verifierKey });
    expect(parseVerifierKey(GO.verifierKey.replace('c74f20a3', 'C74F20A3')).verifierKey).toBe(GO.verifierKey);
  });

  it.each([
    ['a missing field', 'PeterNeumann+c74f20a3'],
    ['a short hash', 'PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a hash that does not match', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['another name for the key', 'PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a name with a space', 'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['an empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['a truncated key', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10'],
    ['another signature type', 'PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
    ['non-canonical base64', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX'],
  ])('refuses %s', (_name, text) => {
    expect(() => parseVerifierKey(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('checkpoint text (C2SP tlog-checkpoint)', () => {
  const root = Uint8Array.from(Buffer.from(PY.root, 'hex'));

  it('formats origin, decimal size and base64 root, and reads them back', () => {
    const text = formatCheckpoint({ origin: 'o.example/log', size: 20852163, root });
    expect(text).toBe('o.example/log\n20852163\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n');
    expect(parseCheckpoint(text)).toEqual({ origin: 'o.example/log', size: 20852163, root });
    expect(parseCheckpoint(`${text}extension line\n`)).toEqual({ origin: 'o.example/log', size: 20852163, root });
    expect(parseCheckpoint('o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n')?.size).toBe(0);
  });

  it.each([
    ['a leading zero', 'o\n08\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n'],
    ['a negative size', 'o\n-8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n'],
    ['a size in exponent form', 'o\n8e0\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n'],
    ['a size JavaScript cannot count exactly', 'o\n9007199254740993\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n'],
    ['a 31-byte root', 'o\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxog==\n'],
    ['a non-canonical root', 'o\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor1=\n'],
    ['an empty origin', '\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n'],
    ['an empty extension line', 'o\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0=\n\n'],
    ['two lines', 'o\n8\n'],
    ['no final newline', 'o\n8\npdrGsf8dyhPc+UI9y/G7tNvOfoy/f0wBTPQMbIFxor0='],
  ])('refuses %s', (_name, text) => {
    expect(parseCheckpoint(text)).toBeUndefined();
  });

  it('says checkpoint when a validly signed note is not a checkpoint', () => {
    const key = parseSigningKey(PY.signingKey);
    expect(openCheckpoint(signNote('just a note\n', key), parseVerifierKey(key.verifierKey))).toMatchObject({ ok: false, reason: 'checkpoint' });
  });
});

describe('signing keys', () => {
  it('generates a key whose private text parses back to the same verifier key and signs verifiably', () => {
    const generated = generateSigningKey('force.example/vcb');
    expect(generated.signingKey).toMatch(/^PRIVATE\+KEY\+force\.example\/vcb\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(generated.verifierKey).toMatch(/^force\.example\/vcb\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const key = parseSigningKey(generated.signingKey);
    expect(key.verifierKey).toBe(generated.verifierKey);
    expect(openNote(signNote('hello\n', key), parseVerifierKey(generated.verifierKey))).toEqual({ ok: true, text: 'hello\n' });
    expect(generateSigningKey('force.example/vcb').verifierKey).not.toBe(generated.verifierKey);
  });

  it('never shows its secret through JSON, inspection or its enumerable fields', () => {
    const key = parseSigningKey(PY.signingKey);
    const secret = PY.signingKey.split('+').slice(4).join('+');
    for (const shown of [JSON.stringify(key), inspect(key, { showHidden: true, depth: 5 }), String(Object.values(key))]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8');
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ name: PY.name, verifierKey: PY.verifierKey });
  });

  it.each([
    ['a verifier key', PY.verifierKey],
    ['a wrong hash', PY.signingKey.replace('d0cd039b', 'd0cd039c')],
    ['a truncated seed', PY.signingKey.slice(0, -4)],
    ['another type byte', PY.signingKey.replace('+AQAB', '+AgAB')],
    ['an empty text', ''],
  ])('refuses %s with INVALID_CONFIG, never repeating the text', (_name, text) => {
    let error: unknown;
    try {
      parseSigningKey(text);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(String((error as Error).message)).not.toContain('AQABAgMEBQYHCAkKCwwNDg8Q');
  });

  it('loads from a file or an environment variable, and names a missing source without content', () => {
    const file = join(dir, 'log.key');
    writeFileSync(file, `${PY.signingKey}\n`, { mode: 0o600 });
    expect(loadSigningKey({ file }).verifierKey).toBe(PY.verifierKey);
    expect(loadSigningKey({ env: 'VCB_TEST_KEY', environment: { VCB_TEST_KEY: PY.signingKey } }).verifierKey).toBe(PY.verifierKey);
    expect(() => loadSigningKey({ env: 'VCB_TEST_KEY', environment: {} })).toThrow(/VCB_TEST_KEY/);
    expect(() => loadSigningKey({ file: join(dir, 'missing.key') })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
