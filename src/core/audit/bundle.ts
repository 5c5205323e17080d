import type { AuditEntry } from './entry.js';

/** The bundle format this version writes and checks. */
export const BUNDLE_FORMAT = 'verification-call-bridge/evidence-bundle/v1';

/** One verification's sealed evidence, checkable offline against a signed checkpoint (see the README). */
export interface EvidenceBundle {
  /** {@link BUNDLE_FORMAT}. */
  format: typeof BUNDLE_FORMAT;
  /** The verification every entry belongs to. */
  verificationId: string;
  /** The log's origin, as the checkpoint's first line names it. */
  origin: string;
  /** The verifier key (`name+hash+base64key`) of the key that signed the checkpoint; compare it with the force's published key. */
  verifierKey: string;
  /** The C2SP signed checkpoint note the proofs lead to. */
  checkpoint: string;
  /** The verification's sealed entries in index order, its seal last. */
  entries: BundleEntry[];
  /** Present only when personal data was disclosed: a signed note pairing clear values with the keyed hashes the entries hold. */
  disclosure?: string;
}

/** One entry with its RFC 9162 inclusion proof against the checkpoint; the leaf index is `entry.index`. */
export interface BundleEntry {
  /** The entry exactly as logged; its leaf is its RFC 8785 canonical JSON. */
  entry: AuditEntry;
  /** Lower-case hex SHA-256(0x00 ‖ leaf), given to help checkers say which entry changed. */
  leafHash: string;
  /** The inclusion path, leaf level first, each node lower-case hex. */
  inclusionProof: string[];
}

/** The bundle's file form: two-space JSON and a final newline. `verifyEvidenceBundle` insists on it byte for byte. */
export function serializeBundle(bundle: EvidenceBundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** True when `text` is a string anywhere inside `value`: how a keyed hash is found in an entry's data. @internal */
export function holdsString(value: unknown, text: string): boolean {
  if (value === text) return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some((item) => holdsString(item, text));
}
