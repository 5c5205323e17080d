import type { Pool } from 'pg';
import { BridgeError, MerkleFrontier, sameHash } from '../../index.js';
import type { BatchFacts } from './append-statement.js';
import type { TailView } from './batch-plan.js';
import type { Tables } from './schema.js';

interface TailRow {
  idx: string | null;
  at: string | null;
  tree_root: Buffer | null;
  size: string | null;
  hashes: Buffer | null;
}

/**
 * This process's view of the end of the log. It is read from the database only when unknown (at the first
 * append, or after a failure that leaves it in doubt); otherwise it follows this process's own commits and
 * the edge another writer left, as the batch statement reports it, so a busy process reads nothing extra.
 */
export class LogTail {
  private view: TailView | undefined;
  // A tree known to be a prefix of the log, so a replay after a doubt reads only the leaves after it.
  private trusted = new MerkleFrontier();

  constructor(private readonly tables: Tables) {}

  /** The view to plan the next batch on, read from the database if unknown. */
  async current(pool: Pool): Promise<TailView> {
    this.view ??= await this.read(pool);
    return this.view;
  }

  /** Takes the tail a batch left once it has committed. */
  committed(after: TailView): void {
    this.view = after;
    this.trusted = after.frontier;
  }

  /** Forgets the view, so the next batch reads it again: a statement failed and may or may not have committed. */
  forget(): void {
    this.view = undefined;
  }

  /**
   * Learns from a batch that wrote nothing. A moved edge row is another writer's tail, taken as the next
   * plan (the statement checks it against the root recorded with the last entry); an edge row where it was
   * but a tail that disagrees means the view or the row is wrong, so the log is read again.
   */
  refused(facts: BatchFacts): void {
    const view = this.view;
    if (view === undefined) return;
    const { edge, tail } = facts;
    if (!sameEdge(edge, view.edge)) {
      const frontier = edge && MerkleFrontier.fromEdge(edge.size, edge.hashes);
      this.view = edge === null ? { ...view, edge: null } : frontier && edge.lastAt !== null ? { frontier, lastAt: edge.lastAt, lastRoot: frontier.root(), edge: { size: edge.size, hashes: edge.hashes } } : undefined;
      return;
    }
    const agrees =
      tail === null
        ? view.frontier.size === 0
        : tail.index === view.frontier.size - 1 && tail.at === view.lastAt && view.lastRoot !== null && sameHash(tail.root, view.lastRoot);
    if (!agrees) this.view = undefined;
  }

  // The last entry and the edge row in one snapshot. The edge is used only when it gives the root recorded
  // with the last entry; otherwise (a log written before the edge was kept, or an edited row) the leaves are replayed.
  private async read(pool: Pool): Promise<TailView> {
    const { rows } = await pool.query<TailRow>(
      `SELECT t.idx, t.at, t.tree_root, g.size, g.hashes FROM (SELECT 1) AS one
       LEFT JOIN (SELECT idx, at, tree_root FROM ${this.tables.entries} ORDER BY idx DESC LIMIT 1) t ON true
       LEFT JOIN (SELECT size, hashes FROM ${this.tables.edge} WHERE id = 1) g ON true`,
    );
    const row = rows[0]!;
    const size = row.idx === null ? 0 : Number(row.idx) + 1;
    const edgeSize = row.size === null ? null : Number(row.size);
    const edge = edgeSize === size && row.hashes !== null ? MerkleFrontier.fromEdge(size, row.hashes) : undefined;
    const recorded = row.tree_root;
    let frontier = edge && recorded && sameHash(edge.root(), recorded) ? edge : undefined;
    frontier ??= size === this.trusted.size ? this.trusted : await this.replay(pool, size > this.trusted.size ? this.trusted : new MerkleFrontier(), size);
    this.trusted = frontier;
    return { frontier, lastAt: row.at ?? undefined, lastRoot: recorded, edge: edgeSize === null ? null : { size: edgeSize, hashes: row.hashes! } };
  }

  // Committed entries never change, so their leaf hashes may be read without any lock.
  private async replay(pool: Pool, base: MerkleFrontier, size: number): Promise<MerkleFrontier> {
    const copy = base.clone();
    const { rows } = await pool.query<{ leaf_hash: Buffer }>(`SELECT leaf_hash FROM ${this.tables.entries} WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [
      copy.size,
      size,
    ]);
    if (rows.length !== size - copy.size) {
      throw new BridgeError('AUDIT_TAMPERED', `entries between ${copy.size} and ${size} are missing: the log was altered (run verify)`);
    }
    for (const row of rows) copy.append(row.leaf_hash);
    return copy;
  }
}

function sameEdge(a: { size: number; hashes: Uint8Array } | null, b: { size: number; hashes: Uint8Array } | null): boolean {
  return a === null || b === null ? a === b : a.size === b.size && sameHash(a.hashes, b.hashes);
}
