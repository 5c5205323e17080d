/** How one request of a batch ended: its result, or the error that refused it alone. */
export type BatchOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit, the caller's side: requests made in the same turn of the event loop go to `runBatch`
 * together, in arrival order (the writer thread then joins every batch that waited for its last commit
 * into one transaction). Each request is settled only once its batch has returned, so nothing is
 * acknowledged before it is durable; a request refused on its own (a repeated event, a lost lease)
 * fails alone, and a batch that fails as a whole fails every request in it.
 */
export class GroupCommit<Request, Result> {
  private queue: Pending<Request, Result>[] = [];
  private scheduled = false;
  private readonly writing = new Set<Promise<void>>();

  constructor(private readonly runBatch: (requests: readonly Request[]) => Promise<BatchOutcome<Result>[]>) {}

  /** Queues a request for the next batch; settles after that batch commits. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current I/O callbacks, so every request they make joins the same batch.
      setImmediate(() => this.flush());
    });
  }

  /** Resolves once every request submitted so far is settled. */
  async drain(): Promise<void> {
    while (this.scheduled || this.writing.size > 0) {
      await (this.scheduled ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.all(this.writing));
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const writing = this.write(batch).finally(() => this.writing.delete(writing));
    this.writing.add(writing);
  }

  private async write(batch: Pending<Request, Result>[]): Promise<void> {
    let outcomes: BatchOutcome<Result>[];
    try {
      outcomes = await this.runBatch(batch.map((pending) => pending.request));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }
}
