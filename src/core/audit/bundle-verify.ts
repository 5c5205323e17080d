import { BUNDLE_FORMAT, holdsString, serializeBundle, type EvidenceBundle } from './bundle.js';
import { openDisclosure } from './bundle-disclosure.js';
import { openCheckpoint } from './checkpoint.js';
import { canonicalJson } from './entry.js';
import { leafHash, toHex } from './merkle.js';
import { verifyInclusionProof } from './proof.js';
import { SEAL_ENTRY_TYPE, sealedIndexes } from './seal.js';
import { hex8, parseVerifierKey, type NoteVerifier } from './signed-note.js';

/** Why a bundle was refused; stable strings a caller can branch on. */
export type BundleFailure =
  | 'malformed'
  | 'wrong-key'
  | 'signature'
  | 'origin'
  | 'leaf-altered'
  | 'inclusion'
  | 'foreign-entry'
  | 'order'
  | 'incomplete'
  | 'unsealed-entry'
  | 'disclosure';

/** What checking a bundle found. `keySource` says whether the key was given by the checker or taken from the bundle itself. */
export type BundleVerification =
  | {
      ok: true;
      verificationId: string;
      entries: number;
      sealIndex: number;
      checkpoint: { origin: string; size: number; root: string };
      verifierKey: string;
      keySource: 'argument' | 'bundle';
      disclosures: { kind: string; value: string }[];
    }
  | { ok: false; reason: BundleFailure; detail: string; entryIndex?: number };

const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * Checks a bundle file offline: its exact exported form, the checkpoint's signature (by `verifierKey`,
 * else by the key the bundle names, which a checker must then compare with the force's published key),
 * every entry's leaf hash and inclusion proof, that all entries are the one verification's in index
 * order, and that the bundle holds exactly what its seal lists. Never throws for a bad bundle; throws
 * INVALID_INPUT only for a malformed `verifierKey` argument.
 */
export function verifyEvidenceBundle(file: string | Uint8Array, options: { verifierKey?: string } = {}): BundleVerification {
  const trusted = options.verifierKey === undefined ? undefined : parseVerifierKey(options.verifierKey);
  const bundle = readBundle(file);
  if (typeof bundle === 'string') return fail('malformed', bundle);
  try {
    return checkBundle(bundle, trusted);
  } catch {
    // Every field was shape-checked; this is only a net, so a hostile file cannot turn into an exception.
    return fail('malformed', 'the bundle could not be read as one');
  }
}

function fail(reason: BundleFailure, detail: string, entryIndex?: number): BundleVerification {
  return { ok: false, reason, detail, ...(entryIndex === undefined ? {} : { entryIndex }) };
}

function checkBundle(bundle: EvidenceBundle, trusted: NoteVerifier | undefined): BundleVerification {
  let named: NoteVerifier;
  try {
    named = parseVerifierKey(bundle.verifierKey);
  } catch {
    return fail('malformed', 'the bundle’s verifierKey is not a valid name+hash+base64key');
  }
  if (named.verifierKey !== bundle.verifierKey) return fail('malformed', 'the bundle’s verifierKey is not written as exported');
  if (trusted && trusted.verifierKey !== named.verifierKey) {
    return fail('wrong-key', `the bundle was signed by ${named.name}+${hex8(named.keyId)}, not by the key you trust, ${trusted.name}+${hex8(trusted.keyId)}`);
  }
  const verifier = trusted ?? named;
  const opened = openCheckpoint(bundle.checkpoint, verifier);
  if (!opened.ok) return fail(opened.reason === 'checkpoint' ? 'malformed' : opened.reason, opened.detail);
  const { checkpoint } = opened;
  if (checkpoint.origin !== bundle.origin) return fail('origin', `the checkpoint is from ${checkpoint.origin}, not ${bundle.origin}`);

  let previous = -1;
  for (const { entry, leafHash: claimed, inclusionProof } of bundle.entries) {
    const index = entry.index;
    let computed: string;
    try {
      computed = toHex(leafHash(Buffer.from(canonicalJson(entry), 'utf8')));
    } catch {
      return fail('malformed', 'an entry has no canonical JSON form', index);
    }
    if (computed !== claimed) return fail('leaf-altered', `entry ${index} does not hash to its recorded leaf hash: it was altered`, index);
    const proven = verifyInclusionProof({
      leafIndex: index,
      treeSize: checkpoint.size,
      leafHash: Buffer.from(computed, 'hex'),
      proof: inclusionProof.map((node) => Buffer.from(node, 'hex')),
      rootHash: checkpoint.root,
    });
    if (!proven) return fail('inclusion', `entry ${index} is not proven to be in the log of ${checkpoint.size} entries the checkpoint signed`, index);
    if (entry.verificationId !== bundle.verificationId) {
      return fail('foreign-entry', `entry ${index} belongs to ${entry.verificationId ?? 'no verification'}, not ${bundle.verificationId}`, index);
    }
    if (index === previous) return fail('order', `entry ${index} appears twice: each entry is in a bundle once`, index);
    if (index < previous) return fail('order', `entry ${index} comes after entry ${previous}: entries must be in increasing index order`, index);
    previous = index;
  }

  const seal = bundle.entries.at(-1)!.entry;
  const listed = sealedIndexes(seal);
  if (!listed) return fail('incomplete', `the bundle does not end with the verification’s seal (a ${SEAL_ENTRY_TYPE} entry)`);
  const present = new Set(bundle.entries.map((item) => item.entry.index));
  const missing = listed.find((index) => !present.has(index));
  if (missing !== undefined) return fail('incomplete', `entry ${missing}, listed by the seal at entry ${seal.index}, is missing`, missing);
  const extra = bundle.entries.find((item) => item.entry.index !== seal.index && !listed.includes(item.entry.index));
  if (extra) return fail('unsealed-entry', `entry ${extra.entry.index} is not one the seal at entry ${seal.index} lists`, extra.entry.index);

  let disclosures: { kind: string; value: string }[] = [];
  if (bundle.disclosure !== undefined) {
    const opened = openDisclosure(bundle.disclosure, verifier, bundle.verificationId);
    if (!opened.ok) return fail('disclosure', `the disclosure does not open: ${opened.detail}`);
    const unmatched = opened.disclosures.find((d) => !bundle.entries.some((item) => holdsString(item.entry.data, d.hash)));
    if (unmatched) return fail('disclosure', `the disclosed ${unmatched.kind} is beside a keyed hash no entry holds`);
    disclosures = opened.disclosures.map(({ kind, value }) => ({ kind, value }));
  }
  return {
    ok: true,
    verificationId: bundle.verificationId,
    entries: bundle.entries.length,
    sealIndex: seal.index,
    checkpoint: { origin: checkpoint.origin, size: checkpoint.size, root: toHex(checkpoint.root) },
    verifierKey: verifier.verifierKey,
    keySource: trusted ? 'argument' : 'bundle',
    disclosures,
  };
}

const BUNDLE_KEYS = ['format', 'verificationId', 'origin', 'verifierKey', 'checkpoint', 'entries'];
const ENTRY_KEYS = ['entry', 'leafHash', 'inclusionProof'];

// Returns the bundle, or why it cannot be read as one.
function readBundle(file: string | Uint8Array): EvidenceBundle | string {
  let text: string;
  let parsed: unknown;
  try {
    text = typeof file === 'string' ? file : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(file);
    parsed = JSON.parse(text);
  } catch {
    return 'the bundle is not UTF-8 JSON';
  }
  const bundle = parsed as EvidenceBundle;
  if (!isObject(parsed) || bundle.format !== BUNDLE_FORMAT) return `the bundle is not in the ${BUNDLE_FORMAT} format`;
  if (!hasKeys(parsed, BUNDLE_KEYS, ['disclosure'])) return `a bundle has exactly the fields ${BUNDLE_KEYS.join(', ')} (and disclosure when one was made)`;
  const strings = [bundle.verificationId, bundle.origin, bundle.verifierKey, bundle.checkpoint, bundle.disclosure ?? ''];
  if (!strings.every((value) => typeof value === 'string')) return 'a bundle field that holds text holds something else';
  if (!Array.isArray(bundle.entries) || bundle.entries.length === 0 || !bundle.entries.every(isBundleEntry)) {
    return 'the bundle’s entries are not each an entry, a hex leaf hash and a hex inclusion proof';
  }
  // Even an edit that changes no meaning (a space for a tab) is refused: the file must be as exported.
  if (serializeBundle(bundle) !== text) return 'the file is not byte for byte as exported (two-space JSON, final newline)';
  return bundle;
}

function isBundleEntry(value: unknown): boolean {
  if (!isObject(value) || !hasKeys(value, ENTRY_KEYS, [])) return false;
  const { entry, leafHash: hash, inclusionProof } = value as { entry: unknown; leafHash: unknown; inclusionProof: unknown };
  return (
    isObject(entry) &&
    Number.isSafeInteger(entry.index) &&
    typeof hash === 'string' &&
    HEX_HASH.test(hash) &&
    Array.isArray(inclusionProof) &&
    inclusionProof.every((node) => typeof node === 'string' && HEX_HASH.test(node))
  );
}

function hasKeys(value: Record<string, unknown>, required: string[], optional: string[]): boolean {
  const keys = Object.keys(value);
  return required.every((key) => keys.includes(key)) && keys.every((key) => required.includes(key) || optional.includes(key));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
