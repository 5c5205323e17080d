import { BridgeError, invalidInput } from '../errors.js';
import type { PersonalDataHasher } from '../personal-data.js';
import type { LogWriter } from './access.js';
import { BUNDLE_FORMAT, type BundleEntry, type EvidenceBundle } from './bundle.js';
import { signDisclosure, type DisclosureRequest } from './bundle-disclosure.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { compareWithCheckpoint, latestCheckpoint } from './checkpoint-log.js';
import { leafBytes, type AuditEntry } from './entry.js';
import { leafHash, toHex } from './merkle.js';
import { verifyInclusionProof } from './proof.js';
import { headProver, type MerkleProver } from './prover.js';
import { SEAL_ENTRY_TYPE, sealedIndexes } from './seal.js';
import { parseVerifierKey } from './signed-note.js';
import type { CheckpointSigningKey } from './signing-key.js';
import type { BridgeStore } from './store.js';

/** What to export, and the record of the export (UK DPA 2018 s.62: who, which verification, to whom, why). */
export interface ExportBundleOptions {
  /** The verification whose sealed record is exported. */
  verificationId: string;
  /** Who exports it, e.g. `cli:jsmith`. */
  actor: string;
  /** To whom it goes, e.g. `CPS Thames and Chiltern`. */
  recipient: string;
  /** Why, in a few words. */
  purpose?: string;
  /** Personal data to disclose in clear; each value must match a keyed hash in the sealed entries. @default none */
  disclose?: readonly DisclosureRequest[];
  /** The deployment's personal-data hasher; needed only to disclose. */
  personalData?: PersonalDataHasher;
  /** The log's checkpoint signing key, which signs the disclosure; needed only to disclose. */
  signingKey?: CheckpointSigningKey;
}

/**
 * Builds an evidence bundle: the verification's latest seal and the entries it lists, each with an
 * inclusion proof against the newest signed checkpoint, which must cover the seal. Each proof is checked
 * against the checkpoint's signed root and the log against the checkpoint by a consistency proof, so an
 * export reads O(k log n) hashes for its k entries, not the whole log; the export is logged before the
 * bundle is returned. Nothing of other verifications goes in. Throws AUDIT_TAMPERED for an entry or a log
 * that fails those checks, NOT_FOUND for a verification with no sealed record under a signed checkpoint
 * yet, INVALID_INPUT for a disclosure that matches nothing.
 */
export async function exportEvidenceBundle(store: BridgeStore, write: LogWriter, options: ExportBundleOptions): Promise<EvidenceBundle> {
  const { verificationId } = options;
  const actor = requiredText(options.actor, 'actor');
  const recipient = requiredText(options.recipient, 'recipient');
  const entries = await store.readEntries({ verificationId });
  if (entries.length === 0) throw new BridgeError('NOT_FOUND', `no entries for verification ${verificationId}`);
  const seal = entries.filter((entry) => entry.type === SEAL_ENTRY_TYPE).at(-1);
  const listed = seal && sealedIndexes(seal);
  if (!seal || !listed) throw new BridgeError('NOT_FOUND', `verification ${verificationId} has not been sealed yet (it is sealed when its call ends)`);
  const sealed = entries.filter((entry) => entry.index === seal.index || listed.includes(entry.index));
  if (sealed.length !== listed.length + 1) throw new BridgeError('AUDIT_TAMPERED', `the seal at entry ${seal.index} lists entries of another verification`);

  const checkpoint = await latestCheckpoint(store);
  if (!checkpoint || checkpoint.size <= seal.index) {
    throw new BridgeError('NOT_FOUND', `no signed checkpoint covers the seal of verification ${verificationId} (entry ${seal.index}) yet`);
  }
  const opened = openCheckpoint(checkpoint.note, parseVerifierKey(checkpoint.verifierKey));
  if (!opened.ok) throw new BridgeError('AUDIT_TAMPERED', `the checkpoint at entry ${checkpoint.entryIndex} does not open: ${opened.detail}`);
  const prover = await headProver(store);
  const comparison = await compareWithCheckpoint(prover, checkpoint);
  if (!comparison.ok) throw new BridgeError('AUDIT_TAMPERED', `the log does not match its checkpoint at entry ${checkpoint.entryIndex}: ${comparison.detail}`);
  const proven = await provenEntries(prover, checkpoint, sealed);

  const disclosure = disclose(options, sealed, checkpoint.verifierKey);
  await write({
    type: 'audit.exported',
    source: 'sdk',
    actor,
    verificationId,
    data: {
      recipient,
      ...(options.purpose ? { purpose: options.purpose } : {}),
      sealIndex: seal.index,
      checkpointSize: checkpoint.size,
      entries: sealed.length,
      disclosed: disclosure?.disclosures.map((d) => d.kind) ?? [],
    },
  });
  return {
    format: BUNDLE_FORMAT,
    verificationId,
    origin: checkpoint.origin,
    verifierKey: checkpoint.verifierKey,
    checkpoint: checkpoint.note,
    entries: proven,
    ...(disclosure ? { disclosure: disclosure.note } : {}),
  };
}

// Each entry as it reads now, with its proof against the checkpoint (the head's prover, whose subtrees
// the consistency proof already read): an entry edited since it was signed cannot prove.
async function provenEntries(prover: MerkleProver, checkpoint: Checkpoint, entries: readonly AuditEntry[]): Promise<BundleEntry[]> {
  const proven: BundleEntry[] = [];
  for (const entry of entries) {
    const hash = leafHash(leafBytes(entry));
    const proof = await prover.inclusionProof(entry.index, checkpoint.size);
    if (!verifyInclusionProof({ leafIndex: entry.index, treeSize: checkpoint.size, leafHash: hash, proof, rootHash: checkpoint.root })) {
      throw new BridgeError('AUDIT_TAMPERED', `entry ${entry.index} no longer matches the checkpoint signed over it: the log was altered (run verify)`);
    }
    proven.push({ entry, leafHash: toHex(hash), inclusionProof: proof.map(toHex) });
  }
  return proven;
}

function disclose(options: ExportBundleOptions, entries: AuditEntry[], checkpointKey: string) {
  const requests = options.disclose ?? [];
  if (requests.length === 0) return undefined;
  const { personalData, signingKey } = options;
  if (!personalData || !signingKey) throw new BridgeError('INVALID_CONFIG', 'disclosing personal data needs the personal-data key and the checkpoint signing key');
  if (signingKey.verifierKey !== checkpointKey) throw new BridgeError('INVALID_CONFIG', 'the signing key given is not the key that signed the checkpoint');
  return signDisclosure(options.verificationId, requests, entries, personalData, signingKey);
}

function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw invalidInput(`an export needs ${field === 'actor' ? 'an actor: who exports it' : 'a recipient: to whom it goes'}`, { field });
  return value.trim();
}
