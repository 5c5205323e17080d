import { BridgeError, invalidInput } from '../errors.js';
import { EMPTY_TREE_ROOT, nodeHash, sameHash } from './merkle.js';
import type { BridgeStore } from './store.js';
import { perfectCover, SubtreeHashes, type TreeHashSource } from './subtree-hashes.js';

/** Builds RFC 9162 proofs over one tree, reading each subtree hash it needs once. */
export interface MerkleProver {
  /** Number of leaves. */
  readonly size: number;
  /** The root of the first `treeSize` leaves (all by default). */
  root(treeSize?: number): Promise<Uint8Array>;
  /** RFC 9162 §2.1.3.1 PATH(leafIndex, D[treeSize]). */
  inclusionProof(leafIndex: number, treeSize?: number): Promise<Uint8Array[]>;
  /** RFC 9162 §2.1.4.1 PROOF(size1, D[size2]); empty when the sizes are equal. */
  consistencyProof(size1: number, size2?: number): Promise<Uint8Array[]>;
}

/** Leaves `start` to `end - 1`: every hash a proof holds is the MTH of one such range. */
type LeafRange = readonly [start: number, end: number];

/** A prover over leaf hashes in index order, held in memory. */
export function createMerkleProver(leafHashes: readonly Uint8Array[]): MerkleProver {
  const leaves = [...leafHashes];
  return proverOver(
    {
      readLeafHashes: async (fromIndex, toIndex) => leaves.slice(fromIndex, toIndex),
      readSubtreeHashes: async (addresses) => addresses.map(() => undefined),
    },
    leaves.length,
  );
}

/**
 * A prover over the first `treeSize` entries of a store, from the subtree and leaf hashes it keeps:
 * each proof reads O(log n) hashes and a few hundred leaves, however long the log. INVALID_INPUT
 * unless the store holds that many entries.
 */
export async function storeProver(store: BridgeStore, treeSize: number): Promise<MerkleProver> {
  const { size } = await store.head();
  if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > size) {
    throw invalidInput(`treeSize must be a whole number from 0 to the log's ${size} entries`, { field: 'treeSize' });
  }
  return proverOver(store, treeSize);
}

/**
 * A prover over the store's whole tree, after checking that its recorded head matches the tree its
 * subtree and leaf hashes give (AUDIT_TAMPERED otherwise), so nothing is signed or proven over a head
 * they do not support. O(log n): it reads no more of the tree than one proof does.
 */
export async function headProver(store: BridgeStore): Promise<MerkleProver> {
  const head = await store.head();
  const prover = proverOver(store, head.size);
  if (!sameHash(await prover.root(), head.root)) {
    throw new BridgeError('AUDIT_TAMPERED', `the recorded tree head of size ${head.size} does not match the hashes kept with the log (run verify)`);
  }
  return prover;
}

function proverOver(source: TreeHashSource, size: number): MerkleProver {
  const subtrees = new SubtreeHashes(source);

  // MTH of each range, the perfect subtrees under all of them read in one go.
  async function hashes(ranges: readonly LeafRange[]): Promise<Uint8Array[]> {
    const covers = ranges.map(([start, end]) => perfectCover(start, end));
    await subtrees.load(covers.flat());
    return covers.map((cover) => {
      if (cover.length === 0) return EMPTY_TREE_ROOT;
      let hash = subtrees.get(cover.at(-1)!);
      for (let i = cover.length - 2; i >= 0; i -= 1) hash = nodeHash(subtrees.get(cover[i]!), hash);
      return hash;
    });
  }

  function checkSize(treeSize: number, field: string): void {
    if (!Number.isSafeInteger(treeSize) || treeSize < 0 || treeSize > size) {
      throw invalidInput(`${field} must be a whole number from 0 to ${size}`, { field });
    }
  }

  return {
    size,
    async root(treeSize = size) {
      checkSize(treeSize, 'treeSize');
      const [root] = await hashes([[0, treeSize]]);
      return root!;
    },
    async inclusionProof(leafIndex, treeSize = size) {
      checkSize(treeSize, 'treeSize');
      if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
        throw invalidInput(`leafIndex must be a whole number below the tree size ${treeSize}`, { field: 'leafIndex' });
      }
      return hashes(pathRanges(leafIndex, 0, treeSize));
    },
    async consistencyProof(size1, size2 = size) {
      checkSize(size2, 'size2');
      // The RFC defines PROOF(m, D[n]) for 0 < m ≤ n; from the empty tree there is nothing to prove.
      if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) {
        throw invalidInput(`size1 must be a whole number from 0 to size2 (${size2})`, { field: 'size1' });
      }
      return size1 === 0 ? [] : hashes(subproofRanges(size1, 0, size2, true));
    },
  };
}

// RFC 9162 §2.1.3.1 PATH(m, D[start:end]), as the ranges whose hashes it lists.
function pathRanges(m: number, start: number, end: number): LeafRange[] {
  if (end - start === 1) return [];
  const k = largestPowerOfTwoBelow(end - start);
  return m < k
    ? [...pathRanges(m, start, start + k), [start + k, end]]
    : [...pathRanges(m - k, start + k, end), [start, start + k]];
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b), as the ranges whose hashes it lists.
function subproofRanges(m: number, start: number, end: number, complete: boolean): LeafRange[] {
  if (m === end - start) return complete ? [] : [[start, end]];
  const k = largestPowerOfTwoBelow(end - start);
  return m <= k
    ? [...subproofRanges(m, start, start + k, complete), [start + k, end]]
    : [...subproofRanges(m - k, start + k, end, false), [start, start + k]];
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
