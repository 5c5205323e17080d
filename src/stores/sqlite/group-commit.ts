/** How one request of a batch ended: its result, or the error that refused it alone. */
export type BatchOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests that arrive while the event loop is busy are written together, in arrival
 * order, by one `runBatch` (one transaction, one fsync). Each request is settled only once that batch
 * has returned, so nothing is acknowledged before it is durable; a request refused on its own (a
 * repeated event, a lost lease) fails alone, and a batch that fails as a whole fails every request in it.
 */
export class GroupCommit<Request, Result> {
  private queue: Pending<Request, Result>[] = [];
  private scheduled = false;

  constructor(private readonly runBatch: (requests: readonly Request[]) => BatchOutcome<Result>[]) {}

  /** Queues a request for the next batch; settles after that batch commits. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After the current I/O callbacks, so every append they start joins the same batch.
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    let outcomes: BatchOutcome<Result>[];
    try {
      outcomes = this.runBatch(batch.map((pending) => pending.request));
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
