import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { invalidInput } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';

// C2SP signed-note: the signature type byte of Ed25519, and the em dash and space that open a signature line.
const ED25519_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
// The spec asks verifiers to accept at least 16 signatures; Go's implementation stops at 100.
const MAX_SIGNATURES = 100;
// SubjectPublicKeyInfo header of a raw Ed25519 public key (RFC 8410), so Node can load one.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
// Unicode spaces as Go's unicode.IsSpace counts them, and plus: what a key name may not hold.
const NAME_FORBIDDEN = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000+]/u;
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/** Signs note text: the key's name, its 32-bit key ID, and an Ed25519 signature. */
export interface NoteSigner {
  /** The key name in the signature line. */
  readonly name: string;
  /** The key ID: first four bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). */
  readonly keyId: number;
  /** Ed25519 signature of the message. */
  sign(message: Uint8Array): Uint8Array;
}

/** A trusted Ed25519 key, parsed from its `name+hash+base64key` verifier-key text. */
export interface NoteVerifier {
  /** The key name. */
  readonly name: string;
  /** The key ID. */
  readonly keyId: number;
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The verifier key in its text form. */
  readonly verifierKey: string;
}

/** Why a note was refused: unreadable, not signed by the key, or signed by it but not validly. */
export type NoteFailure = 'malformed' | 'wrong-key' | 'signature';

/** The outcome of opening a note: its text when a signature by the key verifies. */
export type NoteOpening = { ok: true; text: string } | { ok: false; reason: NoteFailure; detail: string };

/** True for a C2SP key name: non-empty, no Unicode spaces, no plus, no control characters. */
export function isValidKeyName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && !NAME_FORBIDDEN.test(name) && !CONTROL.test(name) && isWellFormed(name);
}

/** The C2SP key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4] as a big-endian uint32. */
export function ed25519KeyId(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256').update(name, 'utf8').update(Uint8Array.of(0x0a, ED25519_TYPE)).update(publicKey).digest();
  return digest.readUInt32BE(0);
}

/** The `name+hash+base64key` text of an Ed25519 verifier key, as Go's sumdb/note writes it. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const keyData = Buffer.concat([Uint8Array.of(ED25519_TYPE), publicKey]);
  return `${name}+${hex8(ed25519KeyId(name, publicKey))}+${encodeBase64(keyData)}`;
}

/** Parses a verifier key; throws INVALID_INPUT if it is malformed, not Ed25519, or its hash does not match the key. */
export function parseVerifierKey(text: string): NoteVerifier {
  const parts = typeof text === 'string' ? splitKey(text.trim()) : undefined;
  const keyData = parts && decodeBase64(parts.keyData);
  if (!parts || !isValidKeyName(parts.name) || !/^[0-9a-f]{8}$/i.test(parts.hash) || !keyData) {
    throw invalidInput('a verifier key must read name+hash+base64key (8 hex digits for the hash)');
  }
  if (keyData.length !== 1 + PUBLIC_KEY_BYTES || keyData[0] !== ED25519_TYPE) {
    throw invalidInput('the verifier key is not an Ed25519 key (type 0x01 and 32 bytes)');
  }
  const publicKey = keyData.slice(1);
  const keyId = ed25519KeyId(parts.name, publicKey);
  if (hex8(keyId) !== parts.hash.toLowerCase()) throw invalidInput('the verifier key hash does not match its name and key');
  return { name: parts.name, keyId, publicKey, verifierKey: formatVerifierKey(parts.name, publicKey) };
}

/** Signs note text (newline-terminated, no control characters) and returns the signed note. */
export function signNote(text: string, signer: NoteSigner): string {
  if (typeof text !== 'string' || !text.endsWith('\n') || CONTROL.test(text) || !isWellFormed(text)) {
    throw invalidInput('note text must be UTF-8 ending in a newline, with no control characters but newlines');
  }
  const signature = signer.sign(Buffer.from(text, 'utf8'));
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.keyId);
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(Buffer.concat([id, signature]))}\n`;
}

/**
 * Opens a signed note with one trusted key, as C2SP signed-note says: signatures by other keys are
 * ignored, every signature by this key must verify, and at least one must. Never throws.
 */
export function openNote(note: string, verifier: NoteVerifier): NoteOpening {
  const malformed = (detail: string): NoteOpening => ({ ok: false, reason: 'malformed', detail });
  if (typeof note !== 'string' || !isWellFormed(note)) return malformed('the note is not UTF-8 text');
  if (CONTROL.test(note)) return malformed('the note holds a control character');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return malformed('the note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return malformed(`the note has more than ${MAX_SIGNATURES} signatures`);
  const signatures = [];
  for (const line of lines) {
    const parsed = parseSignatureLine(line);
    if (!parsed) return malformed('a signature line does not read "— name base64"');
    signatures.push(parsed);
  }
  const ours = signatures.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId);
  if (ours.length === 0) {
    const names = [...new Set(signatures.map((s) => `${s.name}+${hex8(s.keyId)}`))].join(', ');
    return { ok: false, reason: 'wrong-key', detail: `the note is signed by ${names}, not by ${verifier.name}+${hex8(verifier.keyId)}` };
  }
  const publicKey = ed25519PublicKey(verifier.publicKey);
  const message = Buffer.from(text, 'utf8');
  for (const { signature } of ours) {
    if (signature.length !== SIGNATURE_BYTES || !verify(null, message, publicKey, signature)) {
      return { ok: false, reason: 'signature', detail: `the signature by ${verifier.name} does not verify: the note was altered or forged` };
    }
  }
  return { ok: true, text };
}

function parseSignatureLine(line: string): { name: string; keyId: number; signature: Uint8Array } | undefined {
  if (!line.startsWith(SIGNATURE_PREFIX)) return undefined;
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const bytes = space > 0 ? decodeBase64(rest.slice(space + 1)) : undefined;
  if (!isValidKeyName(name) || !bytes || bytes.length < 5) return undefined;
  return { name, keyId: Buffer.from(bytes).readUInt32BE(0), signature: bytes.slice(4) };
}

function splitKey(text: string): { name: string; hash: string; keyData: string } | undefined {
  // The base64 key data may itself hold '+', so only the first two pluses separate fields.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) return undefined;
  return { name: text.slice(0, first), hash: text.slice(first + 1, second), keyData: text.slice(second + 1) };
}

/** A Node key object for a raw Ed25519 public key. @internal */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** A key ID as the 8 lower-case hex digits verifier keys use. @internal */
export function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
