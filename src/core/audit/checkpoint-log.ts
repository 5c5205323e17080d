import { BridgeError } from '../errors.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditEntry } from './entry.js';
import { toHex } from './merkle.js';
import { verifyConsistencyProof } from './proof.js';
import type { MerkleProver } from './prover.js';
import type { BridgeStore } from './store.js';

/** The entry type a signed checkpoint is logged as; its data holds the note, so every store keeps it. */
export const CHECKPOINT_ENTRY_TYPE = 'checkpoint.signed';

/** A signed checkpoint as the log holds it. */
export interface LoggedCheckpoint extends Checkpoint {
  /** The signed note, exactly as signed. */
  note: string;
  /** The verifier key of the key that signed it. */
  verifierKey: string;
  /** The index of the entry that records it: always at least `size`. */
  entryIndex: number;
  /** When it was logged. */
  at: string;
}

/** How the log's tree compares with a checkpoint signed earlier. */
export type CheckpointComparison =
  | { ok: true; size: number; root: string }
  | { ok: false; reason: 'truncated' | 'inconsistent'; detail: string };

/**
 * The newest signed checkpoint in the log, or undefined when none was signed. Reads only checkpoint
 * entries from `fromIndex` on; throws AUDIT_TAMPERED if one no longer holds a checkpoint.
 */
export async function latestCheckpoint(store: BridgeStore, fromIndex = 0): Promise<LoggedCheckpoint | undefined> {
  // One indexed row however many calls have ended, each with its checkpoint.
  const [last] = await store.readEntries({ type: CHECKPOINT_ENTRY_TYPE, fromIndex, newestFirst: true, limit: 1 });
  if (last === undefined) return undefined;
  if (last.type !== CHECKPOINT_ENTRY_TYPE) throw new BridgeError('STORE_FAILED', `the ${store.kind} store ignored the type filter of readEntries`);
  const logged = readLoggedCheckpoint(last);
  if (!logged) throw new BridgeError('AUDIT_TAMPERED', `entry ${last.index} no longer holds a signed checkpoint`);
  return logged;
}

/**
 * The checkpoint a `checkpoint.signed` entry records, read from its note (the signature is not checked
 * here); undefined unless the note holds a checkpoint that covers only entries before this one and
 * the entry's own `origin`, `size` and `root` repeat the note's.
 */
export function readLoggedCheckpoint(entry: AuditEntry): LoggedCheckpoint | undefined {
  const { note, verifierKey, origin, size, root } = entry.data;
  if (typeof note !== 'string' || typeof verifierKey !== 'string') return undefined;
  const checkpoint = parseCheckpoint(note.slice(0, note.lastIndexOf('\n\n') + 1));
  if (!checkpoint || checkpoint.size > entry.index) return undefined;
  if (origin !== checkpoint.origin || size !== checkpoint.size || root !== toHex(checkpoint.root)) return undefined;
  return { ...checkpoint, note, verifierKey, entryIndex: entry.index, at: entry.at };
}

/**
 * Compares the tree of `prover` with an earlier checkpoint by an RFC 9162 consistency proof: a smaller
 * tree was truncated; a proof that fails means history was rewritten.
 */
export async function compareWithCheckpoint(prover: MerkleProver, checkpoint: Checkpoint): Promise<CheckpointComparison> {
  const size = prover.size;
  const root = await prover.root();
  if (checkpoint.size > size) {
    return { ok: false, reason: 'truncated', detail: `the log has ${size} entries but a checkpoint signed earlier covers ${checkpoint.size}` };
  }
  const consistent = verifyConsistencyProof({
    size1: checkpoint.size,
    size2: size,
    root1: checkpoint.root,
    root2: root,
    proof: await prover.consistencyProof(checkpoint.size),
  });
  if (!consistent) {
    return {
      ok: false,
      reason: 'inconsistent',
      detail: `the first ${checkpoint.size} entries no longer have the root the checkpoint signed: history was rewritten`,
    };
  }
  return { ok: true, size, root: toHex(root) };
}
