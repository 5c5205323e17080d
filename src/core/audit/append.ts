import { nextEntryInstant } from '../clock.js';
import { leafBytes, sealEntry, type AuditEntry, type AuditEntryInput } from './entry.js';
import { leafHash, type MerkleFrontier, type Subtree } from './merkle.js';
import { STORED_SUBTREE_LEVEL } from './subtree-hashes.js';

/** What a store knows about the end of its log when it appends. */
export interface LogTail {
  /** The `at` of the last entry, if any. */
  lastAt?: string;
  /** The tree over every entry so far; its size is the next index. */
  frontier: MerkleFrontier;
}

/** Everything a store writes for one append. */
export interface PreparedAppend {
  /** The sealed entry. */
  entry: AuditEntry;
  /** Its leaf hash. */
  leafHash: Uint8Array;
  /** The tree root once it is appended. */
  rootAfter: Uint8Array;
  /** The tree once it is appended; the store adopts it only after its write commits. */
  frontier: MerkleFrontier;
  /** The large perfect subtrees this entry completes: the store keeps them with the entry, so proofs need not read every leaf. */
  subtrees: Subtree[];
}

/**
 * Seals the next entry for a store: the next index, an `at` that never runs backwards, its leaf hash
 * and the new root. Pure, so every store computes the log the same way.
 */
export function prepareAppend(input: AuditEntryInput, atMs: number, tail: LogTail): PreparedAppend {
  const entry = sealEntry(input, tail.frontier.size, nextEntryInstant(atMs, tail.lastAt));
  const hash = leafHash(leafBytes(entry));
  const frontier = tail.frontier.clone();
  const subtrees = frontier.append(hash).filter((subtree) => subtree.level >= STORED_SUBTREE_LEVEL);
  return { entry, leafHash: hash, rootAfter: frontier.root(), frontier, subtrees };
}
