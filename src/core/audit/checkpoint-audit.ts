import { BridgeError } from '../errors.js';
import { openCheckpoint } from './checkpoint.js';
import { CHECKPOINT_ENTRY_TYPE, readLoggedCheckpoint, type LoggedCheckpoint } from './checkpoint-log.js';
import { MerkleFrontier, sameHash } from './merkle.js';
import { parseVerifierKey, type NoteVerifier } from './signed-note.js';
import type { BridgeStore } from './store.js';
import type { AuditVerification, CheckpointTamperReason } from './verify.js';

// Leaf hashes are read this many at a time, so checking a large log holds little of it in memory.
const LEAF_PAGE = 10_000;

/**
 * Recomputes the log with `store.verify()`, then holds it to every checkpoint it signed: each
 * `checkpoint.signed` entry must still read as a checkpoint of the entries before it, open under the
 * verifier key it names, and sign the recomputed root at its size. A rewrite that recomputed every
 * hash from some entry on passes the store's recompute and fails here, at the smallest checkpoint
 * signed over that entry.
 */
export async function verifyAgainstLoggedCheckpoints(store: BridgeStore): Promise<AuditVerification> {
  const recomputed = await store.verify();
  if (!recomputed.ok) return recomputed;
  const { entries } = recomputed;
  // Filtered again here, so a store that ignored the type filter still gives the right answer.
  const logged = (await store.readEntries({ type: CHECKPOINT_ENTRY_TYPE })).filter((entry) => entry.type === CHECKPOINT_ENTRY_TYPE && entry.index < entries);
  const checked: { entryIndex: number; checkpoint: LoggedCheckpoint }[] = [];
  const verifierKeys: string[] = [];
  for (const entry of logged) {
    const fail = (reason: CheckpointTamperReason, detail: string) => failure(entries, entry.index, reason, entry.index, detail);
    const checkpoint = readLoggedCheckpoint(entry);
    const verifier = checkpoint && verifierOf(checkpoint.verifierKey);
    if (!checkpoint || !verifier) return fail('checkpoint-malformed', `entry ${entry.index} no longer holds a signed checkpoint of the entries before it`);
    const opened = openCheckpoint(checkpoint.note, verifier);
    if (!opened.ok) return fail('checkpoint-signature', `the checkpoint at entry ${entry.index} does not open with the key it names: ${opened.detail}`);
    if (!verifierKeys.includes(checkpoint.verifierKey)) verifierKeys.push(checkpoint.verifierKey);
    checked.push({ entryIndex: entry.index, checkpoint });
  }
  // Servers signing at once may log a smaller tree's checkpoint after a larger one's, so roots are held
  // to the tree in order of size, in one pass over the leaves. Roots that all match prefixes of the same
  // leaves are consistent by definition (RFC 9162 §2.1.4): no consistency proof could add to that.
  const frontier = new MerkleFrontier();
  let matched = 0;
  for (const { entryIndex, checkpoint } of checked.sort((a, b) => a.checkpoint.size - b.checkpoint.size)) {
    await growTo(store, frontier, checkpoint.size);
    if (!sameHash(frontier.root(), checkpoint.root)) {
      // Everything below the largest checkpoint that still matched is as it was signed.
      return failure(entries, matched, 'checkpoint-root', entryIndex, `entries ${matched} to ${checkpoint.size - 1} no longer have the root the checkpoint at entry ${entryIndex} signed: history was rewritten`);
    }
    matched = checkpoint.size;
  }
  return { ...recomputed, checkpoints: { count: logged.length, verifierKeys } };
}

function failure(entries: number, firstBadIndex: number, reason: CheckpointTamperReason, checkpointIndex: number, detail: string): AuditVerification {
  return { ok: false, entries, firstBadIndex, reason, detail, checkpointIndex };
}

function verifierOf(verifierKey: string): NoteVerifier | undefined {
  try {
    return parseVerifierKey(verifierKey);
  } catch {
    return undefined;
  }
}

async function growTo(store: BridgeStore, frontier: MerkleFrontier, size: number): Promise<void> {
  while (frontier.size < size) {
    const page = await store.readLeafHashes(frontier.size, Math.min(size, frontier.size + LEAF_PAGE));
    if (page.length === 0) throw new BridgeError('STORE_FAILED', `the store returned no leaf hashes from entry ${frontier.size}`);
    for (const hash of page) frontier.append(hash);
  }
}
