import { invalidInput } from '../errors.js';
import { EMPTY_TREE_ROOT, nodeHash } from './merkle.js';
import type { BridgeStore } from './store.js';

/** Builds RFC 9162 proofs over one list of leaf hashes, sharing subtree hashes between proofs. */
export interface MerkleProver {
  /** Number of leaves. */
  readonly size: number;
  /** The root of the first `treeSize` leaves (all by default). */
  root(treeSize?: number): Uint8Array;
  /** RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]). */
  inclusionProof(leafIndex: number, treeSize?: number): Uint8Array[];
  /** RFC 9162 §2.1.4.1 PROOF(size1, D[size2]); empty when the sizes are equal. */
  consistencyProof(size1: number, size2?: number): Uint8Array[];
}

// Subtrees smaller than this are cheap to rehash; remembering only larger ones keeps the memo to a
// small fraction of the leaf count while every proof after the first still reuses nearly all the work.
const MEMO_MIN_LEAVES = 64;

/**
 * A prover over leaf hashes in index order. Large subtree hashes are remembered, so proving every entry
 * of a bundle costs about one pass over the tree rather than one per proof.
 */
export function createMerkleProver(leafHashes: readonly Uint8Array[]): MerkleProver {
  const leaves = [...leafHashes];
  const memo = new Map<string, Uint8Array>();

  // MTH(D[start:end]) by the RFC's recursive definition.
  function mth(start: number, end: number): Uint8Array {
    if (end === start) return EMPTY_TREE_ROOT;
    if (end - start === 1) return leaves[start]!;
    const remember = end - start >= MEMO_MIN_LEAVES;
    const key = `${start}:${end}`;
    const known = remember ? memo.get(key) : undefined;
    if (known) return known;
    const k = largestPowerOfTwoBelow(end - start);
    const hash = nodeHash(mth(start, start + k), mth(start + k, end));
    if (remember) memo.set(key, hash);
    return hash;
  }

  function path(m: number, start: number, end: number): Uint8Array[] {
    if (end - start === 1) return [];
    const k = largestPowerOfTwoBelow(end - start);
    return m < k
      ? [...path(m, start, start + k), mth(start + k, end)]
      : [...path(m - k, start + k, end), mth(start, start + k)];
  }

  function subproof(m: number, start: number, end: number, complete: boolean): Uint8Array[] {
    if (m === end - start) return complete ? [] : [mth(start, end)];
    const k = largestPowerOfTwoBelow(end - start);
    return m <= k
      ? [...subproof(m, start, start + k, complete), mth(start + k, end)]
      : [...subproof(m - k, start + k, end, false), mth(start, start + k)];
  }

  function checkSize(treeSize: number, field: string): void {
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > leaves.length) {
      throw invalidInput(`${field} must be a whole number from 0 to ${leaves.length}`, { field });
    }
  }

  return {
    size: leaves.length,
    root(treeSize = leaves.length) {
      checkSize(treeSize, 'treeSize');
      return mth(0, treeSize);
    },
    inclusionProof(leafIndex, treeSize = leaves.length) {
      checkSize(treeSize, 'treeSize');
      if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
        throw invalidInput(`leafIndex must be a whole number below the tree size ${treeSize}`, { field: 'leafIndex' });
      }
      return path(leafIndex, 0, treeSize);
    },
    consistencyProof(size1, size2 = leaves.length) {
      checkSize(size2, 'size2');
      // The RFC defines PROOF(m, D[n]) for 0 < m ≤ n; from the empty tree there is nothing to prove.
      if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) {
        throw invalidInput(`size1 must be a whole number from 0 to size2 (${size2})`, { field: 'size1' });
      }
      return size1 === 0 ? [] : subproof(size1, 0, size2, true);
    },
  };
}

/** A prover over the first `treeSize` entries of a store, from the leaf hashes it recorded. */
export async function storeProver(store: BridgeStore, treeSize: number): Promise<MerkleProver> {
  return createMerkleProver(await store.readLeafHashes(0, treeSize));
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
