import { BridgeError, invalidInput } from '../errors.js';
import type { PersonalDataHasher } from '../personal-data.js';
import { parseE164 } from '../validation.js';
import { holdsString } from './bundle.js';
import type { AuditEntry } from './entry.js';
import { openNote, signNote, type NoteFailure, type NoteVerifier } from './signed-note.js';
import type { CheckpointSigningKey } from './signing-key.js';

/** A personal datum to disclose in clear, by kind; today only `phone` (E.164), the one kind the SDK hashes. */
export interface DisclosureRequest {
  /** What it is. */
  kind: 'phone';
  /** The value in clear. */
  value: string;
}

/** A disclosed datum beside the keyed hash the log holds for it. */
export interface Disclosure extends DisclosureRequest {
  /** `hmac-sha256:<hex>`, as it appears in the entries. */
  hash: string;
}

// First line of a disclosure note: never an origin, size and root, so it cannot pass for a checkpoint.
const HEADER = 'verification-call-bridge disclosure v1';

/**
 * Signs a disclosure note: the log's key vouches that each clear value is the one behind a keyed hash in
 * the verification's entries. Recipients cannot recompute a keyed hash, so the signature is what binds them.
 * Throws INVALID_INPUT for a value that matches no keyed hash of the entries.
 */
export function signDisclosure(
  verificationId: string,
  requests: readonly DisclosureRequest[],
  entries: readonly AuditEntry[],
  hasher: PersonalDataHasher,
  key: CheckpointSigningKey,
): { note: string; disclosures: Disclosure[] } {
  const disclosures = requests.map(({ kind, value }): Disclosure => {
    if (kind !== 'phone') throw invalidInput(`only phone numbers can be disclosed, not ${String(kind)}`, { field: 'disclose' });
    const normalised = parseE164(value, 'disclose');
    const hash = hasher.hash(kind, normalised);
    if (!entries.some((entry) => holdsString(entry.data, hash))) {
      throw invalidInput('that phone number matches no keyed hash in the verification’s sealed entries', { field: 'disclose' });
    }
    return { kind, value: normalised, hash };
  });
  if (disclosures.length === 0) throw new BridgeError('INVALID_INPUT', 'a disclosure needs at least one value');
  const text = [HEADER, verificationId, ...disclosures.map((d) => `${d.kind} ${d.value} ${d.hash}`)].join('\n');
  return { note: signNote(`${text}\n`, key), disclosures };
}

/** Opens a disclosure note with the log's key and reads it; `reason` says why it could not be. Never throws. */
export function openDisclosure(
  note: string,
  verifier: NoteVerifier,
  verificationId: string,
): { ok: true; disclosures: Disclosure[] } | { ok: false; reason: NoteFailure; detail: string } {
  const opened = openNote(note, verifier);
  if (!opened.ok) return opened;
  const [header, id, ...lines] = opened.text.slice(0, -1).split('\n');
  const disclosures = lines.map((line) => /^(phone) (\+[1-9][0-9]{6,14}) (hmac-sha256:[0-9a-f]{64})$/.exec(line));
  if (header !== HEADER || id !== verificationId || disclosures.length === 0 || disclosures.some((match) => match === null)) {
    return { ok: false, reason: 'malformed', detail: `the disclosure is not a ${HEADER} note for ${verificationId}` };
  }
  return { ok: true, disclosures: disclosures.map((match) => ({ kind: 'phone', value: match![2]!, hash: match![3]! })) };
}
