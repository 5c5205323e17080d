import { EMPTY_TREE_ROOT, HASH_SIZE, nodeHash, sameHash } from './merkle.js';

/** What an RFC 9162 §2.1.3 inclusion proof claims: this leaf hash is at this index of the tree with this root. */
export interface InclusionProofClaim {
  /** Position of the leaf, from 0. */
  leafIndex: number;
  /** Number of leaves in the tree the proof is against. */
  treeSize: number;
  /** The leaf's hash, SHA-256(0x00 ‖ leaf). */
  leafHash: Uint8Array;
  /** The inclusion path, leaf level first. */
  proof: readonly Uint8Array[];
  /** The root of the tree of `treeSize` leaves. */
  rootHash: Uint8Array;
}

/** What an RFC 9162 §2.1.4 consistency proof claims: the tree of `size2` leaves extends the tree of `size1`. */
export interface ConsistencyProofClaim {
  /** Size of the earlier tree. */
  size1: number;
  /** Size of the later tree. */
  size2: number;
  /** Root of the earlier tree. */
  root1: Uint8Array;
  /** Root of the later tree. */
  root2: Uint8Array;
  /** The consistency path. */
  proof: readonly Uint8Array[];
}

// A valid path has at most one hash per level of a tree of 2^53 leaves (two more for a consistency path);
// refusing longer ones first bounds the work a hostile input can cause.
const MAX_PATH_LENGTH = 64;

/**
 * Checks an RFC 9162 §2.1.3.2 inclusion proof. Returns false, never throws, for anything malformed:
 * an index at or past the size, a hash that is not 32 bytes, a path too long or too short.
 */
export function verifyInclusionProof(claim: InclusionProofClaim): boolean {
  try {
    const { leafIndex, treeSize, leafHash, proof, rootHash } = claim;
    if (!isSize(leafIndex) || !isSize(treeSize) || leafIndex >= treeSize) return false;
    if (!isHash(leafHash) || !isHash(rootHash) || !isPath(proof)) return false;
    let fn = leafIndex;
    let sn = treeSize - 1;
    let r = leafHash;
    for (const p of proof) {
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        r = nodeHash(p, r);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        r = nodeHash(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && sameHash(r, rootHash);
  } catch {
    return false;
  }
}

/**
 * Checks an RFC 9162 §2.1.4.2 consistency proof. Returns false, never throws, for anything malformed:
 * `size2 < size1`, equal sizes with a non-empty proof or different roots, a hash that is not 32 bytes,
 * a path too long or too short. The RFC defines proofs only for 0 < size1; from size 0 the only
 * acceptable proof is the empty one, with `root1` the empty tree's root.
 */
export function verifyConsistencyProof(claim: ConsistencyProofClaim): boolean {
  try {
    const { size1, size2, root1, root2, proof } = claim;
    if (!isSize(size1) || !isSize(size2) || size2 < size1) return false;
    if (!isHash(root1) || !isHash(root2) || !isPath(proof)) return false;
    if (size1 === 0) return proof.length === 0 && sameHash(root1, EMPTY_TREE_ROOT) && (size2 > 0 || sameHash(root2, EMPTY_TREE_ROOT));
    if (size1 === size2) return proof.length === 0 && sameHash(root1, root2);
    if (proof.length === 0) return false;
    const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
    let fn = size1 - 1;
    let sn = size2 - 1;
    while (isOdd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = path[0]!;
    let sr = path[0]!;
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (isOdd(fn) || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && sameHash(fr, root1) && sameHash(sr, root2);
  } catch {
    return false;
  }
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === HASH_SIZE;
}

function isPath(value: unknown): value is readonly Uint8Array[] {
  return Array.isArray(value) && value.length <= MAX_PATH_LENGTH && value.every(isHash);
}

// Arithmetic rather than bit operators: JavaScript's >> and & truncate to 32 bits, and logs outgrow that.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  let k = n;
  while (k > 1 && !isOdd(k)) k = half(k);
  return k === 1;
}
