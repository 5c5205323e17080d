import { leafBytes, type AuditEntry } from './entry.js';
import { leafHash, MerkleFrontier, sameHash, toHex } from './merkle.js';

/**
 * How a log was found to differ from what was appended: by its own hashes (`altered`, `removed`,
 * `inserted`, `reordered`), or by a checkpoint it signed (see {@link CheckpointTamperReason}).
 */
export type TamperReason = 'altered' | 'removed' | 'inserted' | 'reordered' | CheckpointTamperReason;

/**
 * How a logged checkpoint contradicts the log: it no longer reads as one (`checkpoint-malformed`), its
 * signature fails under the key it names (`checkpoint-signature`), the recomputed tree has another root
 * at its size (`checkpoint-root`).
 */
export type CheckpointTamperReason = 'checkpoint-malformed' | 'checkpoint-signature' | 'checkpoint-root';

/** The signed checkpoints a verification held the log to. */
export interface CheckpointsChecked {
  /** How many `checkpoint.signed` entries were checked. */
  count: number;
  /** The verifier keys they were signed with, in the order first used: compare them with the force's published key. */
  verifierKeys: string[];
}

/**
 * The outcome of recomputing a log. `checkpoints` is present when the log was also held to its own
 * signed checkpoints (`verifyAuditLog`, `bridge.verifyLog`, `vcb audit verify`), not from `store.verify()`;
 * `checkpointIndex` names the checkpoint entry a checkpoint failure is about.
 */
export type AuditVerification =
  | { ok: true; entries: number; root: string; checkpoints?: CheckpointsChecked }
  | { ok: false; entries: number; firstBadIndex: number; reason: TamperReason; detail: string; checkpointIndex?: number };

/** One stored row as a store reads it back, before anything is trusted. */
export interface StoredRow {
  /** The index the row claims. */
  index: number;
  /** Rebuilds the entry from the stored columns; throws if they no longer decode. */
  entry: () => AuditEntry;
  /** The leaf hash stored at append time. */
  leafHash: Uint8Array;
  /** The tree root stored at append time, for the tree of size index + 1. */
  rootAfter: Uint8Array;
}

/**
 * Recomputes every leaf hash and every recorded root and names the first index that disagrees.
 * `readRows` is called again only on failure, to tell a reorder from an edit.
 */
export function verifyStoredRows(readRows: () => Iterable<StoredRow>): AuditVerification {
  const checker = new StoredRowChecker();
  for (const row of readRows()) {
    const fault = checker.check(row);
    if (fault) return describeFault(fault, [...readRows()]);
  }
  return checker.passed();
}

/**
 * {@link verifyStoredRows} for rows a store reads in pages, so memory stays flat however long the
 * log: only the tree's right edge is kept while the rows stream past.
 */
export async function verifyStoredRowPages(readRows: () => AsyncIterable<StoredRow>): Promise<AuditVerification> {
  const checker = new StoredRowChecker();
  for await (const row of readRows()) {
    const fault = checker.check(row);
    if (fault) {
      const rows: StoredRow[] = [];
      for await (const again of readRows()) rows.push(again);
      return describeFault(fault, rows);
    }
  }
  return checker.passed();
}

/** What is wrong with the first bad row: a plain finding, or a leaf hash that needs every row to explain. */
type RowFault = { index: number; reason: TamperReason; detail: string } | { mismatch: StoredRow; entry: AuditEntry };

/** Checks rows one at a time in index order, holding only the tree's right edge. */
class StoredRowChecker {
  private readonly frontier = new MerkleFrontier();
  private expected = 0;

  /** What is wrong with the next row, or undefined when it is what was appended. */
  check(row: StoredRow): RowFault | undefined {
    const expected = this.expected;
    if (row.index !== expected) {
      return row.index > expected
        ? { index: expected, reason: 'removed', detail: `entry ${expected} is missing: the next stored entry claims index ${row.index}` }
        : { index: expected, reason: 'inserted', detail: `an extra entry claims index ${row.index} where ${expected} was expected` };
    }
    const entry = decode(row);
    if (entry === undefined) return { index: expected, reason: 'altered', detail: `entry ${expected} no longer decodes` };
    if (!sameHash(leafHash(leafBytes(entry)), row.leafHash)) return { mismatch: row, entry };
    this.frontier.append(row.leafHash);
    if (!sameHash(this.frontier.root(), row.rootAfter)) {
      return { index: expected, reason: 'altered', detail: `the tree root recorded after entry ${expected} does not match the entries` };
    }
    this.expected += 1;
    return undefined;
  }

  /** The result once every row passed. */
  passed(): AuditVerification {
    return { ok: true, entries: this.expected, root: toHex(this.frontier.root()) };
  }
}

function describeFault(fault: RowFault, rows: readonly StoredRow[]): AuditVerification {
  if ('mismatch' in fault) return classifyLeafMismatch(fault.mismatch, fault.entry, rows);
  return { ok: false, entries: rows.length, firstBadIndex: fault.index, reason: fault.reason, detail: fault.detail };
}

// An entry's leaf embeds its index, so a moved entry still matches its stored hash at its original index.
function classifyLeafMismatch(row: StoredRow, entry: AuditEntry, rows: readonly StoredRow[]): AuditVerification {
  const bad = row.index;
  const highestIndex = rows.reduce((highest, r) => Math.max(highest, r.index + 1), rows.length);
  let originIndex: number | undefined;
  for (let j = 0; j <= highestIndex && originIndex === undefined; j += 1) {
    if (sameHash(leafHash(leafBytes({ ...entry, index: j })), row.leafHash)) originIndex = j;
  }
  const result = (reason: TamperReason, detail: string): AuditVerification => ({
    ok: false,
    entries: rows.length,
    firstBadIndex: bad,
    reason,
    detail,
  });
  if (originIndex === undefined || originIndex === bad) {
    return result('altered', `entry ${bad}'s content does not match its recorded leaf hash`);
  }
  const other = rows.find((r) => r.index === originIndex);
  const otherEntry = other && decode(other);
  if (other && otherEntry && sameHash(leafHash(leafBytes({ ...otherEntry, index: bad })), other.leafHash)) {
    return result('reordered', `entries ${bad} and ${originIndex} have been swapped`);
  }
  return originIndex > bad
    ? result('removed', `entry ${bad} holds what was appended as entry ${originIndex}: earlier entries were removed`)
    : result('inserted', `entry ${bad} holds what was appended as entry ${originIndex}: entries were inserted before it`);
}

function decode(row: StoredRow): AuditEntry | undefined {
  try {
    return row.entry();
  } catch {
    return undefined;
  }
}
