import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BridgeError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { ed25519KeyId, formatVerifierKey, hex8, isValidKeyName, type NoteSigner } from './signed-note.js';

// Go's sumdb/note private-key text: PRIVATE+KEY+<name>+<hash>+base64(0x01 ‖ 32-byte Ed25519 seed).
const PRIVATE_PREFIX = 'PRIVATE+KEY+';
const ED25519_TYPE = 0x01;
const SEED_BYTES = 32;
// PKCS #8 header of a raw Ed25519 seed (RFC 8410), so Node can load one.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The log's checkpoint signing key. It never serialises its secret: JSON and inspection show only its public parts. */
export interface CheckpointSigningKey extends NoteSigner {
  /** The matching verifier key (`name+hash+base64key`), safe to publish. */
  readonly verifierKey: string;
}

/** A new key pair: the private-key text to keep secret (mode 0600, or a secret store) and the verifier key to publish. */
export interface GeneratedSigningKey {
  /** `PRIVATE+KEY+name+hash+base64`: the secret. Write it only where the key belongs. */
  signingKey: string;
  /** `name+hash+base64key`: give it to anyone who checks checkpoints or bundles. */
  verifierKey: string;
}

/** Where to load a signing key from: a file holding the private-key text, or an environment variable holding it. */
export type SigningKeySource = { file: string } | { env: string; environment?: Record<string, string | undefined> };

/** Generates an Ed25519 checkpoint key named `name` (a schema-less URL such as `police.example/vcb`). */
export function generateSigningKey(name: string): GeneratedSigningKey {
  if (!isValidKeyName(name)) throw badConfig('a key name must be non-empty, with no spaces, plus signs or control characters');
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = Buffer.from(privateKey.export({ format: 'der', type: 'pkcs8' })).subarray(ED25519_PKCS8_PREFIX.length);
  const publicKey = rawPublicKey(privateKey);
  const keyData = encodeBase64(Buffer.concat([Uint8Array.of(ED25519_TYPE), seed]));
  return {
    signingKey: `${PRIVATE_PREFIX}${name}+${hex8(ed25519KeyId(name, publicKey))}+${keyData}`,
    verifierKey: formatVerifierKey(name, publicKey),
  };
}

/** Parses private-key text; throws INVALID_CONFIG, without repeating any of the text, if it is not a valid Ed25519 key. */
export function parseSigningKey(text: string): CheckpointSigningKey {
  const body = typeof text === 'string' && text.trim().startsWith(PRIVATE_PREFIX) ? text.trim().slice(PRIVATE_PREFIX.length) : '';
  const first = body.indexOf('+');
  const second = first < 0 ? -1 : body.indexOf('+', first + 1);
  const name = body.slice(0, Math.max(first, 0));
  const hash = body.slice(first + 1, Math.max(second, 0));
  const keyData = second < 0 ? undefined : decodeBase64(body.slice(second + 1));
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/i.test(hash) || !keyData) {
    throw badConfig('the checkpoint signing key is not PRIVATE+KEY+name+hash+base64 text');
  }
  if (keyData.length !== 1 + SEED_BYTES || keyData[0] !== ED25519_TYPE) throw badConfig('the checkpoint signing key is not an Ed25519 key');
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, keyData.subarray(1)]), format: 'der', type: 'pkcs8' });
  const publicKey = rawPublicKey(privateKey);
  const keyId = ed25519KeyId(name, publicKey);
  if (hex8(keyId) !== hash.toLowerCase()) throw badConfig('the checkpoint signing key hash does not match its name and key');
  return signerFor(name, keyId, formatVerifierKey(name, publicKey), privateKey);
}

/** Loads a signing key from a file or an environment variable; INVALID_CONFIG names the source, never its content. */
export function loadSigningKey(source: SigningKeySource): CheckpointSigningKey {
  if ('file' in source) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (error) {
      throw new BridgeError('INVALID_CONFIG', `cannot read the checkpoint signing key file ${source.file}`, { cause: error });
    }
    return parseSigningKey(text);
  }
  const text = (source.environment ?? process.env)[source.env];
  if (text === undefined || text.trim() === '') throw badConfig(`the environment variable ${source.env} holds no checkpoint signing key`);
  return parseSigningKey(text);
}

function signerFor(name: string, keyId: number, verifierKey: string, privateKey: KeyObject): CheckpointSigningKey {
  const key: CheckpointSigningKey = {
    name,
    keyId,
    verifierKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
  // Only public parts ever print, even through util.inspect or JSON.stringify.
  Object.defineProperty(key, Symbol.for('nodejs.util.inspect.custom'), { value: () => `CheckpointSigningKey(${verifierKey})` });
  Object.defineProperty(key, 'toJSON', { value: () => ({ name, verifierKey }) });
  return Object.freeze(key);
}

function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

function badConfig(message: string): BridgeError {
  return new BridgeError('INVALID_CONFIG', message);
}
