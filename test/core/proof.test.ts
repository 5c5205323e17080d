import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMPTY_TREE_ROOT, leafHash, merkleTreeHash, nodeHash, toHex } from '../../src/core/audit/merkle.js';
import { verifyConsistencyProof, verifyInclusionProof, type ConsistencyProofClaim, type InclusionProofClaim } from '../../src/core/audit/proof.js';
import { createMerkleProver } from '../../src/core/audit/prover.js';

// Expected proofs below were computed outside this code base by a separate python3 (hashlib) transcription
// of RFC 9162's recursive definitions: PATH(m, D[n]) of §2.1.3.1 and PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
// of §2.1.4.1, with leaf(b) = sha256(0x00 ‖ b), node(l, r) = sha256(0x01 ‖ l ‖ r). The leaves are the UTF-8
// bytes of "a", "b", "c", … in order, as in merkle.test.ts, whose roots these trees share.

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const LEAVES = 'abcdefgh'.split('').map((c) => leafHash(utf8(c)));
const ROOTS: Record<number, string> = {
  1: '022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c',
  2: 'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb',
  3: '36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1',
  4: '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0',
  5: 'fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b',
  7: '4ae191939f548d9934740b88dea2c5cb89bb8870fc4505cd79dec6bbfaaee9cb',
  8: 'a5dac6b1ff1dca13dcf9423dcbf1bbb4dbce7e8cbf7f4c014cf40c6c8171a2bd',
};

// [leafIndex, treeSize, PATH(leafIndex, D[treeSize]) from python]
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [0, 2, ['57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31']],
  [1, 2, ['022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c']],
  [2, 3, ['b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb']],
  [0, 5, ['57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31', 'dbbd68c325614a73dacb4e7a87a2b7b4ae9724b489e5629ee83151fe8f0eafd7', '2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4']],
  [4, 5, ['33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
  [3, 7, ['597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8', 'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb', 'e286d3390665a7cdc759453bed0b00cded1842d757e3e6cfe87df53db177e725']],
  [6, 7, ['918566184c9d5be235ad2b6dd60828f5cec14fc409f02f7db8647009ec6da588', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
  [0, 8, ['57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31', 'dbbd68c325614a73dacb4e7a87a2b7b4ae9724b489e5629ee83151fe8f0eafd7', '942c3c763f29608957d92d095589e6e5fb65414c3ef9ae26fc1f49f07f5e0dc7']],
  [5, 8, ['2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4', '49dac0ee570d50784149cc566c8c59802418c7d9215796687e096ef63c1b932a', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
  [7, 8, ['5aeb196e83598231b45c61f3e0c5a0fda49b0d4f86a6db5f893aacccf514fa99', '918566184c9d5be235ad2b6dd60828f5cec14fc409f02f7db8647009ec6da588', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
];

// [size1, size2, PROOF(size1, D[size2]) from python]
const CONSISTENCY: [number, number, string[]][] = [
  [1, 2, ['57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31']],
  [1, 8, ['57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31', 'dbbd68c325614a73dacb4e7a87a2b7b4ae9724b489e5629ee83151fe8f0eafd7', '942c3c763f29608957d92d095589e6e5fb65414c3ef9ae26fc1f49f07f5e0dc7']],
  [2, 5, ['dbbd68c325614a73dacb4e7a87a2b7b4ae9724b489e5629ee83151fe8f0eafd7', '2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4']],
  [3, 7, ['597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8', 'd070dc5b8da9aea7dc0f5ad4c29d89965200059c9a0ceca3abd5da2492dcb71d', 'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb', 'e286d3390665a7cdc759453bed0b00cded1842d757e3e6cfe87df53db177e725']],
  [4, 7, ['e286d3390665a7cdc759453bed0b00cded1842d757e3e6cfe87df53db177e725']],
  [4, 8, ['942c3c763f29608957d92d095589e6e5fb65414c3ef9ae26fc1f49f07f5e0dc7']],
  [5, 7, ['2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4', 'f5a06d3c52937089c51b7c6c1cc1948ccdc5581328b2ebb578e8cca66a7b5221', '5aeb196e83598231b45c61f3e0c5a0fda49b0d4f86a6db5f893aacccf514fa99', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
  [6, 8, ['918566184c9d5be235ad2b6dd60828f5cec14fc409f02f7db8647009ec6da588', '49dac0ee570d50784149cc566c8c59802418c7d9215796687e096ef63c1b932a', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
  [7, 8, ['5aeb196e83598231b45c61f3e0c5a0fda49b0d4f86a6db5f893aacccf514fa99', 'e593490a360ac8104e842141c4059603e0d90b79de99e5b6b6f05afe14945659', '918566184c9d5be235ad2b6dd60828f5cec14fc409f02f7db8647009ec6da588', '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0']],
];

const prover = createMerkleProver(LEAVES);
// Every root and proof of the eight-leaf tree, read up front so the tables below can name them.
const SIZES = Array.from({ length: LEAVES.length + 1 }, (_, size) => size);
const PROVER_ROOTS = await Promise.all(SIZES.map((size) => prover.root(size)));
const PATHS = new Map<string, Uint8Array[]>();
const PROOFS = new Map<string, Uint8Array[]>();
for (const n of SIZES) {
  for (let m = 0; m < n; m += 1) PATHS.set(`${m}:${n}`, await prover.inclusionProof(m, n));
  for (let m = 0; m <= n; m += 1) PROOFS.set(`${m}:${n}`, await prover.consistencyProof(m, n));
}
const pathOf = (m: number, n: number) => PATHS.get(`${m}:${n}`)!;
const proofOf = (m: number, n: number) => PROOFS.get(`${m}:${n}`)!;
const rootOf = (size: number) => hex(ROOTS[size] ?? toHex(PROVER_ROOTS[size]!));

function inclusionClaim(leafIndex: number, treeSize: number): InclusionProofClaim {
  return { leafIndex, treeSize, leafHash: LEAVES[leafIndex]!, proof: pathOf(leafIndex, treeSize), rootHash: rootOf(treeSize) };
}

function consistencyClaim(size1: number, size2: number): ConsistencyProofClaim {
  return { size1, size2, root1: rootOf(size1), root2: rootOf(size2), proof: proofOf(size1, size2) };
}

function flipped(bytes: Uint8Array, bit = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
  return copy;
}

describe('inclusion proofs (RFC 9162 §2.1.3)', () => {
  it.each(INCLUSION)('PATH(%i, D[%i]) matches the independent computation and verifies', (m, n, expected) => {
    expect(pathOf(m, n).map(toHex)).toEqual(expected);
    expect(verifyInclusionProof({ leafIndex: m, treeSize: n, leafHash: LEAVES[m]!, proof: expected.map(hex), rootHash: rootOf(n) })).toBe(true);
  });

  it('verifies every leaf of every tree of 1 to 40 random leaves, and no leaf at another index', async () => {
    const leaves = Array.from({ length: 40 }, () => leafHash(randomBytes(8)));
    const random = createMerkleProver(leaves);
    for (let n = 1; n <= 40; n += 1) {
      for (let m = 0; m < n; m += 1) {
        const claim = { leafIndex: m, treeSize: n, leafHash: leaves[m]!, proof: await random.inclusionProof(m, n), rootHash: await random.root(n) };
        expect(verifyInclusionProof(claim), `PATH(${m}, D[${n}])`).toBe(true);
        if (n > 1) expect(verifyInclusionProof({ ...claim, leafIndex: (m + 1) % n }), `index ${(m + 1) % n} of ${n}`).toBe(false);
      }
    }
  });

  it('fails when any bit of any proof node, the leaf hash or the root is flipped', () => {
    const claim = inclusionClaim(5, 8);
    for (let node = 0; node < claim.proof.length; node += 1) {
      for (const bit of [0, 7, 128, 255]) {
        const proof = claim.proof.map((p, i) => (i === node ? flipped(p, bit) : p));
        expect(verifyInclusionProof({ ...claim, proof })).toBe(false);
      }
    }
    expect(verifyInclusionProof({ ...claim, leafHash: flipped(claim.leafHash) })).toBe(false);
    expect(verifyInclusionProof({ ...claim, rootHash: flipped(claim.rootHash, 255) })).toBe(false);
  });

  it.each([1, 2, 4, 8])('is false for index n of an n-leaf tree (n = %i), though the hashes line up as for leaf 0', (n) => {
    // Past a perfect tree the walk sees index n exactly as it sees leaf 0 (n's low bits are all zero), so
    // leaf 0's path reaches the root: only the index check tells the two apart.
    const leaf0 = inclusionClaim(0, n);
    expect(verifyInclusionProof(leaf0)).toBe(true);
    expect(verifyInclusionProof({ ...leaf0, leafIndex: n })).toBe(false);
  });

  it('is false for an index past the size whose path would reach the root (index 3 of a 2-leaf tree)', () => {
    const leaf1 = inclusionClaim(1, 2);
    expect(verifyInclusionProof(leaf1)).toBe(true);
    expect(verifyInclusionProof({ ...leaf1, leafIndex: 3 })).toBe(false);
  });

  it.each([
    ['the tree is empty', { leafIndex: 0, treeSize: 0, proof: [] }],
    ['the index is negative', { leafIndex: -1 }],
    ['the index is fractional', { leafIndex: 4.5 }],
    ['the size is NaN', { treeSize: Number.NaN }],
    ['the size is beyond safe integers', { treeSize: 2 ** 53 }],
    ['the size is a string', { treeSize: '8' }],
    ['the leaf hash is 31 bytes', { leafHash: LEAVES[5]!.subarray(0, 31) }],
    ['the leaf hash is 33 bytes', { leafHash: Uint8Array.of(...LEAVES[5]!, 0) }],
    ['the root is 31 bytes', { rootHash: hex(ROOTS[8]!).subarray(1) }],
    ['the root is hex text', { rootHash: ROOTS[8] }],
    ['a proof node is 33 bytes', { proof: [Uint8Array.of(...pathOf(5, 8)[0]!, 0), ...pathOf(5, 8).slice(1)] }],
    ['a proof node is a string', { proof: pathOf(5, 8).map(toHex) }],
    ['the proof is too short', { proof: pathOf(5, 8).slice(0, 2) }],
    ['the proof is empty', { proof: [] }],
    ['the proof has one node too many', { proof: [...pathOf(5, 8), LEAVES[0]!] }],
    ['the proof repeats its last node', { proof: [...pathOf(5, 8), pathOf(5, 8)[2]!] }],
    ['the proof is for a smaller tree', { proof: pathOf(5, 7) }],
    ['the proof is not an array', { proof: { length: 3 } }],
    ['the proof is huge', { proof: Array.from({ length: 100_000 }, () => LEAVES[0]!) }],
  ])('is false, without throwing, when %s', (_name, override) => {
    const claim = { ...inclusionClaim(5, 8), ...override } as InclusionProofClaim;
    expect(() => verifyInclusionProof(claim)).not.toThrow();
    expect(verifyInclusionProof(claim)).toBe(false);
  });

  it('is false, without throwing, for input that is not a claim at all', () => {
    const hostile = Object.defineProperty({}, 'leafIndex', { get: () => { throw new Error('boom'); } });
    for (const input of [undefined, null, 42, 'claim', [], {}, hostile]) {
      expect(verifyInclusionProof(input as unknown as InclusionProofClaim)).toBe(false);
    }
  });

  it('handles trees beyond 2^32 leaves, where 32-bit shifts would go wrong', () => {
    // The last leaf of a perfect tree of 2^40 leaves is a right child at every level: r = node(p, r).
    const proof = Array.from({ length: 40 }, () => leafHash(randomBytes(4)));
    const leaf = leafHash(utf8('last'));
    const root = proof.reduce((r, p) => nodeHash(p, r), leaf);
    const claim = { leafIndex: 2 ** 40 - 1, treeSize: 2 ** 40, leafHash: leaf, proof, rootHash: root };
    expect(verifyInclusionProof(claim)).toBe(true);
    expect(verifyInclusionProof({ ...claim, leafIndex: 2 ** 40 - 2 })).toBe(false);
    expect(verifyInclusionProof({ ...claim, treeSize: 2 ** 40 + 1 })).toBe(false);
  });
});

describe('consistency proofs (RFC 9162 §2.1.4)', () => {
  it.each(CONSISTENCY)('PROOF(%i, D[%i]) matches the independent computation and verifies', (m, n, expected) => {
    expect(proofOf(m, n).map(toHex)).toEqual(expected);
    expect(verifyConsistencyProof({ size1: m, size2: n, root1: rootOf(m), root2: rootOf(n), proof: expected.map(hex) })).toBe(true);
  });

  it('verifies between every pair of sizes up to 40, and fails with the roots swapped or another root', async () => {
    const leaves = Array.from({ length: 40 }, () => leafHash(randomBytes(8)));
    const random = createMerkleProver(leaves);
    for (let n = 1; n <= 40; n += 1) {
      for (let m = 1; m < n; m += 1) {
        const claim = { size1: m, size2: n, root1: await random.root(m), root2: await random.root(n), proof: await random.consistencyProof(m, n) };
        expect(verifyConsistencyProof(claim), `PROOF(${m}, D[${n}])`).toBe(true);
        expect(verifyConsistencyProof({ ...claim, root1: claim.root2, root2: claim.root1 })).toBe(false);
        expect(verifyConsistencyProof({ ...claim, root1: await random.root(m - 1) })).toBe(false);
      }
    }
  });

  it('fails when any bit of any proof node or either root is flipped', () => {
    const claim = consistencyClaim(3, 7);
    for (let node = 0; node < claim.proof.length; node += 1) {
      for (const bit of [0, 9, 200, 255]) {
        const proof = claim.proof.map((p, i) => (i === node ? flipped(p, bit) : p));
        expect(verifyConsistencyProof({ ...claim, proof })).toBe(false);
      }
    }
    expect(verifyConsistencyProof({ ...claim, root1: flipped(claim.root1) })).toBe(false);
    expect(verifyConsistencyProof({ ...claim, root2: flipped(claim.root2) })).toBe(false);
  });

  it('fails when an earlier leaf was rewritten: the later tree no longer extends the earlier root', async () => {
    const rewritten = createMerkleProver([...LEAVES.slice(0, 2), leafHash(utf8('C')), ...LEAVES.slice(3)]);
    const claim = { size1: 4, size2: 8, root1: rootOf(4), root2: await rewritten.root(8), proof: await rewritten.consistencyProof(4, 8) };
    expect(verifyConsistencyProof(claim)).toBe(false);
  });

  it('between equal sizes compares the two roots and nothing else, as RFC 9162 leaves it', () => {
    // §2.1.4.1 defines PROOF(m, D[m]) as SUBPROOF(m, D[m], true) = {}, and §2.1.4.2's algorithm is only for
    // 0 < first < second (its step 1 fails an empty path): two heads of one size agree when their roots do.
    const anyRoot = leafHash(utf8('a root no tree here has'));
    expect(verifyConsistencyProof({ size1: 6, size2: 6, root1: anyRoot, root2: Uint8Array.from(anyRoot), proof: [] })).toBe(true);
    expect(verifyConsistencyProof({ size1: 6, size2: 6, root1: anyRoot, root2: flipped(anyRoot, 255), proof: [] })).toBe(false);
    // A path that §2.1.4.2's steps would accept for first = second = 3 (node(c, D[0:2]) is the root of 3)
    // is still refused: the only proof between equal sizes is the empty one.
    const walked = { size1: 3, size2: 3, root1: rootOf(3), root2: rootOf(3), proof: [LEAVES[2]!, rootOf(2)] };
    expect(toHex(nodeHash(rootOf(2), LEAVES[2]!))).toBe(ROOTS[3]);
    expect(verifyConsistencyProof(walked)).toBe(false);
  });

  it('accepts equal sizes only with an empty proof and equal roots', () => {
    expect(verifyConsistencyProof({ size1: 5, size2: 5, root1: rootOf(5), root2: rootOf(5), proof: [] })).toBe(true);
    expect(verifyConsistencyProof({ size1: 5, size2: 5, root1: rootOf(5), root2: rootOf(5), proof: [LEAVES[0]!] })).toBe(false);
    expect(verifyConsistencyProof({ size1: 5, size2: 5, root1: rootOf(5), root2: rootOf(4), proof: [] })).toBe(false);
    expect(proofOf(5, 5)).toEqual([]);
  });

  it('accepts a proof from size 0 only when it is empty and the first root is the empty tree’s', () => {
    const fromEmpty = { size1: 0, size2: 8, root1: EMPTY_TREE_ROOT, root2: rootOf(8), proof: [] };
    expect(verifyConsistencyProof(fromEmpty)).toBe(true);
    expect(verifyConsistencyProof({ ...fromEmpty, proof: [rootOf(8)] })).toBe(false);
    expect(verifyConsistencyProof({ ...fromEmpty, root1: rootOf(1) })).toBe(false);
    expect(verifyConsistencyProof({ size1: 0, size2: 0, root1: EMPTY_TREE_ROOT, root2: EMPTY_TREE_ROOT, proof: [] })).toBe(true);
    expect(verifyConsistencyProof({ size1: 0, size2: 0, root1: EMPTY_TREE_ROOT, root2: rootOf(1), proof: [] })).toBe(false);
    expect(proofOf(0, 8)).toEqual([]);
  });

  it.each([
    ['size2 is below size1', { size1: 7, size2: 3, root1: rootOf(7), root2: rootOf(3) }],
    ['the proof is empty', { proof: [] }],
    ['the proof is too short', { proof: proofOf(3, 7).slice(0, 3) }],
    ['the proof has one node too many', { proof: [...proofOf(3, 7), LEAVES[0]!] }],
    ['the proof is for other sizes', { proof: proofOf(3, 8) }],
    ['size1 is negative', { size1: -3 }],
    ['size2 is fractional', { size2: 7.5 }],
    ['size2 is beyond safe integers', { size2: 2 ** 53 + 2 }],
    ['root1 is 31 bytes', { root1: rootOf(3).subarray(1) }],
    ['root2 is 33 bytes', { root2: Uint8Array.of(...rootOf(7), 1) }],
    ['a proof node is 16 bytes', { proof: [proofOf(3, 7)[0]!.subarray(16), ...proofOf(3, 7).slice(1)] }],
    ['the proof is not an array', { proof: 'abc' }],
    ['the proof is huge', { proof: Array.from({ length: 100_000 }, () => LEAVES[0]!) }],
  ])('is false, without throwing, when %s', (_name, override) => {
    const claim = { ...consistencyClaim(3, 7), ...override } as ConsistencyProofClaim;
    expect(() => verifyConsistencyProof(claim)).not.toThrow();
    expect(verifyConsistencyProof(claim)).toBe(false);
  });

  it('is false, without throwing, for input that is not a claim at all', () => {
    for (const input of [undefined, null, 0, 'claim', {}, { size1: 1, size2: 2 }]) {
      expect(verifyConsistencyProof(input as unknown as ConsistencyProofClaim)).toBe(false);
    }
  });

  it('handles sizes beyond 2^32', () => {
    // PROOF(2^32, D[2^32 + 1]) is the one new leaf; the first root is prepended because 2^32 is a power of two.
    const root1 = leafHash(utf8('big tree'));
    const extra = leafHash(utf8('one more'));
    const claim = { size1: 2 ** 32, size2: 2 ** 32 + 1, root1, root2: nodeHash(root1, extra), proof: [extra] };
    expect(verifyConsistencyProof(claim)).toBe(true);
    expect(verifyConsistencyProof({ ...claim, size2: 2 ** 33 + 1 })).toBe(false);
    expect(verifyConsistencyProof({ ...claim, size1: 2 ** 32 - 1 })).toBe(false);
  });
});

describe('a prover over a larger tree, where subtree hashes are remembered', () => {
  it('gives the RFC root and proofs that verify, the same on every call', async () => {
    const leaves = Array.from({ length: 300 }, () => leafHash(randomBytes(8)));
    const big = createMerkleProver(leaves);
    expect(toHex(await big.root())).toBe(toHex(merkleTreeHash(leaves)));
    expect(toHex(await big.root(257))).toBe(toHex(merkleTreeHash(leaves.slice(0, 257))));
    for (const [m, n] of [[0, 300], [63, 64], [64, 300], [255, 257], [299, 300], [128, 200]] as const) {
      const proof = await big.inclusionProof(m, n);
      expect(verifyInclusionProof({ leafIndex: m, treeSize: n, leafHash: leaves[m]!, proof, rootHash: await big.root(n) })).toBe(true);
      expect((await big.inclusionProof(m, n)).map(toHex)).toEqual(proof.map(toHex));
    }
    for (const [m, n] of [[1, 300], [64, 300], [65, 129], [200, 300], [299, 300]] as const) {
      const claim = { size1: m, size2: n, root1: await big.root(m), root2: await big.root(n), proof: await big.consistencyProof(m, n) };
      expect(verifyConsistencyProof(claim), `PROOF(${m}, D[${n}])`).toBe(true);
      expect(toHex(claim.root1)).toBe(toHex(merkleTreeHash(leaves.slice(0, m))));
    }
  });
});

describe('proof generation refuses what the RFC does not define', () => {
  it.each([
    ['an index at the size', () => prover.inclusionProof(8, 8)],
    ['a tree larger than the leaves', () => prover.inclusionProof(0, 9)],
    ['size1 above size2', () => prover.consistencyProof(6, 5)],
    ['a fractional size', () => prover.consistencyProof(2.5, 8)],
  ])('throws INVALID_INPUT for %s', async (_name, build) => {
    await expect(build()).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
