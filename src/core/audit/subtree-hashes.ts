import { BridgeError } from '../errors.js';
import { HASH_SIZE, merkleTreeHash, nodeHash, type SubtreeAddress } from './merkle.js';

/**
 * Perfect subtrees of at least 2^8 leaves are kept by the store with the entry that completes them:
 * about one row per 128 entries, and no proof then reads more than a few hundred leaf hashes.
 */
export const STORED_SUBTREE_LEVEL = 8;

// Neighbouring leaf ranges are read together up to about this many, so rebuilding a missing subtree holds little in memory.
const LEAF_PAGE = 10_000;

/** Where a tree's hashes are read from: its leaf hashes, and the perfect subtree hashes kept with them. */
export interface TreeHashSource {
  /** Leaf hashes `fromIndex` to `toIndex - 1`, in index order. */
  readLeafHashes(fromIndex: number, toIndex: number): Promise<Uint8Array[]>;
  /** The kept hash of each perfect subtree asked for, in the same order; undefined where none is kept. */
  readSubtreeHashes(addresses: readonly SubtreeAddress[]): Promise<(Uint8Array | undefined)[]>;
}

/**
 * The perfect subtrees whose hashes, folded from the right, give MTH of leaves `start` to `end - 1`,
 * largest first. Every range an RFC 9162 proof names starts on a multiple of a power of two no
 * smaller than its length, and for those this is exactly the RFC's split at the largest power of two.
 */
export function perfectCover(start: number, end: number): SubtreeAddress[] {
  const cover: SubtreeAddress[] = [];
  for (let at = start; at < end; ) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level += 1;
    cover.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return cover;
}

/**
 * Perfect subtree hashes of one tree, read once and remembered. A large subtree comes from the
 * source's kept hashes; a small one, or a large one the source does not keep (a log from before they
 * were kept), is computed from the leaves, so the answer never depends on what was kept.
 */
export class SubtreeHashes {
  private readonly known = new Map<string, Uint8Array>();

  constructor(private readonly source: TreeHashSource) {}

  /** The hash of a subtree {@link load} has read. */
  get(address: SubtreeAddress): Uint8Array {
    const hash = this.known.get(key(address));
    if (hash === undefined) throw new BridgeError('STORE_FAILED', `subtree ${key(address)} was used before it was read`);
    return hash;
  }

  /** Reads every subtree asked for that is not known yet: kept ones in one request per level of fallback. */
  async load(addresses: readonly SubtreeAddress[]): Promise<void> {
    const missing: SubtreeAddress[] = [];
    let wanted = this.unknown(addresses);
    while (wanted.length > 0) {
      const large = wanted.filter((address) => address.level >= STORED_SUBTREE_LEVEL);
      const kept = large.length > 0 ? await this.source.readSubtreeHashes(large) : [];
      const absent = large.filter((address, i) => !this.remember(address, kept[i]));
      await this.computeFromLeaves(wanted.filter((address) => address.level < STORED_SUBTREE_LEVEL));
      missing.push(...absent);
      wanted = this.unknown(absent.flatMap(children));
    }
    // Children first, so each missing parent is built from hashes already known.
    for (const address of missing.sort((a, b) => a.level - b.level)) {
      const [left, right] = children(address);
      this.known.set(key(address), nodeHash(this.get(left), this.get(right)));
    }
  }

  private remember(address: SubtreeAddress, hash: Uint8Array | undefined): boolean {
    if (hash === undefined || hash.byteLength !== HASH_SIZE) return false;
    this.known.set(key(address), hash);
    return true;
  }

  private unknown(addresses: readonly SubtreeAddress[]): SubtreeAddress[] {
    const seen = new Set<string>();
    return addresses.filter((address) => {
      const id = key(address);
      if (this.known.has(id) || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  // Neighbouring subtrees share one read of their leaves.
  private async computeFromLeaves(addresses: readonly SubtreeAddress[]): Promise<void> {
    const sorted = [...addresses].sort((a, b) => firstLeaf(a) - firstLeaf(b));
    for (let i = 0; i < sorted.length; ) {
      const from = firstLeaf(sorted[i]!);
      let to = endLeaf(sorted[i]!);
      let j = i + 1;
      while (j < sorted.length && to - from < LEAF_PAGE && firstLeaf(sorted[j]!) <= to + 2 ** STORED_SUBTREE_LEVEL) to = Math.max(to, endLeaf(sorted[j++]!));
      const leaves = await this.source.readLeafHashes(from, to);
      if (leaves.length !== to - from) throw new BridgeError('STORE_FAILED', `the store returned ${leaves.length} leaf hashes for entries ${from} to ${to - 1}`);
      for (const address of sorted.slice(i, j)) {
        this.known.set(key(address), merkleTreeHash(leaves.slice(firstLeaf(address) - from, endLeaf(address) - from)));
      }
      i = j;
    }
  }
}

function key({ level, index }: SubtreeAddress): string {
  return `${level}:${index}`;
}

function children({ level, index }: SubtreeAddress): [SubtreeAddress, SubtreeAddress] {
  return [
    { level: level - 1, index: index * 2 },
    { level: level - 1, index: index * 2 + 1 },
  ];
}

function firstLeaf({ level, index }: SubtreeAddress): number {
  return index * 2 ** level;
}

function endLeaf(address: SubtreeAddress): number {
  return firstLeaf(address) + 2 ** address.level;
}
