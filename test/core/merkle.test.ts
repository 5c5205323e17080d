import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_TREE_ROOT,
  HASH_SIZE,
  MerkleFrontier,
  leafHash,
  merkleTreeHash,
  nodeHash,
  sameHash,
  toHex,
} from '../../src/core/audit/merkle.js';

// Every expected hex value below was computed outside this code base, with a separate RFC 9162 §2.1.1
// implementation in python3 (hashlib):
//   leaf(b)   = sha256(b'\x00' + b)
//   node(l,r) = sha256(b'\x01' + l + r)
//   mth([])   = sha256(b'')
//   mth(D[n]) = node(mth(D[0:k]), mth(D[k:n])) with k the largest power of two < n
// The leaves are the UTF-8 bytes of the one-letter strings "a", "b", "c", … in order, so the tree of
// n leaves is over the first n letters of "abcdefgh".

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const letterLeafHashes = (n: number): Uint8Array[] => 'abcdefgh'.slice(0, n).split('').map((c) => leafHash(utf8(c)));

const EXPECTED_ROOTS: Record<number, string> = {
  // mth([]) = sha256(b'')
  0: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  // leaves "a"
  1: '022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c',
  // leaves "a","b"
  2: 'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb',
  // leaves "a","b","c"
  3: '36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1',
  // leaves "a".."d"
  4: '33376a3bd63e9993708a84ddfe6c28ae58b83505dd1fed711bd924ec5a6239f0',
  // leaves "a".."e"
  5: 'fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b',
  // leaves "a".."g"
  7: '4ae191939f548d9934740b88dea2c5cb89bb8870fc4505cd79dec6bbfaaee9cb',
  // leaves "a".."h"
  8: 'a5dac6b1ff1dca13dcf9423dcbf1bbb4dbce7e8cbf7f4c014cf40c6c8171a2bd',
};

describe('leafHash and nodeHash (RFC 9162 domain separation)', () => {
  it('leaf hash is SHA-256(0x00 ‖ leaf)', () => {
    // python: sha256(b'\x00' + b'a')
    expect(toHex(leafHash(utf8('a')))).toBe('022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c');
    // python: sha256(b'\x00')
    expect(toHex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(leafHash(utf8('a')).byteLength).toBe(HASH_SIZE);
  });

  it('node hash is SHA-256(0x01 ‖ left ‖ right)', () => {
    // python: sha256(b'\x01' + leaf(b'a') + leaf(b'b'))
    expect(toHex(nodeHash(leafHash(utf8('a')), leafHash(utf8('b'))))).toBe(
      'b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb',
    );
  });

  it('a leaf hash differs from the plain SHA-256 of the same bytes', () => {
    // sha256(b'') is the empty-tree root; the leaf hash of the empty string must not equal it.
    expect(toHex(leafHash(new Uint8Array(0)))).not.toBe(EXPECTED_ROOTS[0]);
  });
});

describe('merkleTreeHash', () => {
  it('empty tree root is SHA-256 of the empty string', () => {
    expect(toHex(merkleTreeHash([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(EMPTY_TREE_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  for (const n of [1, 2, 3, 4, 5, 7, 8]) {
    it(`root of the ${n}-leaf tree over "${'abcdefgh'.slice(0, n)}" matches the independent computation`, () => {
      expect(toHex(merkleTreeHash(letterLeafHashes(n)))).toBe(EXPECTED_ROOTS[n]);
    });
  }

  it('leaf order matters', () => {
    const hashes = letterLeafHashes(2);
    const swapped = [hashes[1]!, hashes[0]!];
    expect(toHex(merkleTreeHash(swapped))).not.toBe(EXPECTED_ROOTS[2]);
  });
});

describe('MerkleFrontier', () => {
  it('starts empty with the empty-tree root', () => {
    const frontier = new MerkleFrontier();
    expect(frontier.size).toBe(0);
    expect(toHex(frontier.root())).toBe(EXPECTED_ROOTS[0]);
  });

  it('matches the independently computed roots for the letter trees', () => {
    const frontier = new MerkleFrontier();
    const hashes = letterLeafHashes(8);
    hashes.forEach((hash, i) => {
      frontier.append(hash);
      const expected = EXPECTED_ROOTS[i + 1];
      if (expected !== undefined) expect(toHex(frontier.root())).toBe(expected);
    });
    expect(frontier.size).toBe(8);
  });

  it('root after each append equals merkleTreeHash of the prefix, sizes 0..70, random leaves', () => {
    const frontier = new MerkleFrontier();
    const hashes: Uint8Array[] = [];
    expect(toHex(frontier.root())).toBe(toHex(merkleTreeHash(hashes)));
    for (let size = 1; size <= 70; size += 1) {
      const hash = leafHash(randomBytes(1 + (size % 40)));
      hashes.push(hash);
      frontier.append(hash);
      expect(frontier.size).toBe(size);
      expect(toHex(frontier.root()), `size ${size}`).toBe(toHex(merkleTreeHash(hashes)));
    }
  });

  it('clone() is independent of the original in both directions', () => {
    const original = new MerkleFrontier();
    const hashes = letterLeafHashes(5);
    for (const hash of hashes.slice(0, 3)) original.append(hash);

    const copy = original.clone();
    expect(copy.size).toBe(3);
    expect(toHex(copy.root())).toBe(EXPECTED_ROOTS[3]);

    copy.append(hashes[3]!);
    expect(copy.size).toBe(4);
    expect(toHex(copy.root())).toBe(EXPECTED_ROOTS[4]);
    // The original has not moved.
    expect(original.size).toBe(3);
    expect(toHex(original.root())).toBe(EXPECTED_ROOTS[3]);

    // Growing the original differently leaves the copy untouched.
    original.append(leafHash(utf8('z')));
    original.append(leafHash(utf8('y')));
    expect(original.size).toBe(5);
    expect(toHex(original.root())).not.toBe(EXPECTED_ROOTS[5]);
    expect(copy.size).toBe(4);
    expect(toHex(copy.root())).toBe(EXPECTED_ROOTS[4]);

    copy.append(hashes[4]!);
    expect(toHex(copy.root())).toBe(EXPECTED_ROOTS[5]);
  });
});

describe('MerkleFrontier edge bytes', () => {
  const leaf = (i: number) => leafHash(new TextEncoder().encode(`leaf ${i}`));

  it('rebuilds from its size and edge bytes a frontier that has the same root and goes on the same way', () => {
    for (let size = 0; size <= 70; size += 1) {
      const frontier = new MerkleFrontier();
      for (let i = 0; i < size; i += 1) frontier.append(leaf(i));
      const rebuilt = MerkleFrontier.fromEdge(size, frontier.edgeBytes())!;
      expect(rebuilt.size).toBe(size);
      expect(toHex(rebuilt.root())).toBe(toHex(frontier.root()));
      for (let i = size; i < size + 5; i += 1) {
        frontier.append(leaf(i));
        rebuilt.append(leaf(i));
        expect(toHex(rebuilt.root())).toBe(toHex(frontier.root()));
      }
    }
  });

  it('refuses bytes that cannot be the edge of that size', () => {
    const frontier = new MerkleFrontier();
    for (let i = 0; i < 6; i += 1) frontier.append(leaf(i)); // 6 = two subtrees
    const bytes = frontier.edgeBytes();
    expect(bytes.byteLength).toBe(64);
    expect(MerkleFrontier.fromEdge(7, bytes)).toBeUndefined();
    expect(MerkleFrontier.fromEdge(6, bytes.subarray(0, 63))).toBeUndefined();
    expect(MerkleFrontier.fromEdge(-1, bytes)).toBeUndefined();
    expect(MerkleFrontier.fromEdge(1.5, bytes)).toBeUndefined();
  });
});

describe('sameHash', () => {
  it('is true for equal bytes in different arrays', () => {
    const a = leafHash(utf8('a'));
    const b = Uint8Array.from(a);
    expect(a).not.toBe(b);
    expect(sameHash(a, b)).toBe(true);
  });

  it('is false when one byte differs, including the last', () => {
    const a = leafHash(utf8('a'));
    const first = Uint8Array.from(a);
    first[0] = first[0]! ^ 0x01;
    const last = Uint8Array.from(a);
    last[31] = last[31]! ^ 0x80;
    expect(sameHash(a, first)).toBe(false);
    expect(sameHash(a, last)).toBe(false);
  });

  it('is false for different lengths, even when one is a prefix of the other', () => {
    const a = leafHash(utf8('a'));
    expect(sameHash(a, a.subarray(0, 31))).toBe(false);
    expect(sameHash(new Uint8Array(0), a)).toBe(false);
    expect(sameHash(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('toHex', () => {
  it('gives lower-case hex of exactly the bytes given', () => {
    expect(toHex(Uint8Array.of(0x00, 0x0f, 0xab, 0xff))).toBe('000fabff');
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('respects the byteOffset and length of a view into a larger buffer', () => {
    const buffer = Uint8Array.of(0x11, 0x22, 0x33, 0x44, 0x55);
    expect(toHex(buffer.subarray(1, 3))).toBe('2233');
    expect(toHex(new Uint8Array(buffer.buffer, 3, 2))).toBe('4455');
  });
});
