import { createHash } from 'node:crypto';

// RFC 9162 §2.1.1 domain separation: leaves and interior nodes can never be confused.
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** SHA-256 output length in bytes. */
export const HASH_SIZE = 32;

/** RFC 9162 leaf hash: SHA-256(0x00 ‖ leaf). */
export function leafHash(leaf: Uint8Array): Uint8Array {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

/** RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** RFC 9162 root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_TREE_ROOT: Uint8Array = createHash('sha256').digest();

/** RFC 9162 Merkle Tree Hash of a list of leaf hashes, by the RFC's recursive definition. */
export function merkleTreeHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_TREE_ROOT;
  if (leafHashes.length === 1) return leafHashes[0]!;
  const split = largestPowerOfTwoBelow(leafHashes.length);
  return nodeHash(merkleTreeHash(leafHashes.slice(0, split)), merkleTreeHash(leafHashes.slice(split)));
}

/** Where a perfect subtree sits: its height (0 for a leaf) and its position among subtrees of that height. */
export interface SubtreeAddress {
  /** Height: the subtree holds 2^level leaves. */
  level: number;
  /** Its leaves are `index · 2^level` to `(index + 1) · 2^level - 1`. */
  index: number;
}

/** A perfect subtree and its RFC 9162 hash. */
export interface Subtree extends SubtreeAddress {
  /** MTH of its leaves. */
  hash: Uint8Array;
}

/**
 * The right edge of a growing Merkle tree: one perfect subtree per set bit of the size.
 * Appending and taking the root cost O(log n), so a log's root can follow every append.
 */
export class MerkleFrontier {
  private readonly subtrees: { hash: Uint8Array; height: number }[] = [];
  private count = 0;

  /** Number of leaves appended so far. */
  get size(): number {
    return this.count;
  }

  /** Adds the next leaf's hash; returns the perfect subtrees it completed, smallest first (none for an even size's leaf). */
  append(leafHashValue: Uint8Array): Subtree[] {
    const completed: Subtree[] = [];
    let hash = leafHashValue;
    let height = 0;
    this.count += 1;
    while (this.subtrees.length > 0 && this.subtrees[this.subtrees.length - 1]!.height === height) {
      hash = nodeHash(this.subtrees.pop()!.hash, hash);
      height += 1;
      completed.push({ level: height, index: this.count / 2 ** height - 1, hash });
    }
    this.subtrees.push({ hash, height });
    return completed;
  }

  /** The RFC 9162 root of every leaf appended so far. */
  root(): Uint8Array {
    if (this.subtrees.length === 0) return EMPTY_TREE_ROOT;
    // Folding the subtrees from the right gives exactly the RFC's split at the largest power of two.
    let root = this.subtrees[this.subtrees.length - 1]!.hash;
    for (let i = this.subtrees.length - 2; i >= 0; i -= 1) root = nodeHash(this.subtrees[i]!.hash, root);
    return root;
  }

  /** The subtree hashes, left to right, concatenated: with the size, all a store must keep to go on appending. */
  edgeBytes(): Uint8Array {
    return Buffer.concat(this.subtrees.map((subtree) => subtree.hash));
  }

  /**
   * The frontier of a tree of `size` leaves from its {@link edgeBytes}: one 32-byte hash per set bit of
   * the size, largest subtree first. Undefined when the bytes cannot be such an edge.
   */
  static fromEdge(size: number, bytes: Uint8Array): MerkleFrontier | undefined {
    if (!Number.isSafeInteger(size) || size < 0) return undefined;
    const heights: number[] = [];
    for (let height = 52; height >= 0; height -= 1) if (Math.floor(size / 2 ** height) % 2 === 1) heights.push(height);
    if (bytes.byteLength !== heights.length * HASH_SIZE) return undefined;
    const frontier = new MerkleFrontier();
    heights.forEach((height, i) => frontier.subtrees.push({ hash: Uint8Array.from(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE)), height }));
    frontier.count = size;
    return frontier;
  }

  /** An independent copy, so a caller can try an append without committing to it. */
  clone(): MerkleFrontier {
    const copy = new MerkleFrontier();
    copy.subtrees.push(...this.subtrees);
    copy.count = this.count;
    return copy;
  }
}

/** Lower-case hex of a hash, the form the CLI and JSON reports use. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Constant-time equality of two hashes. */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i += 1) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
