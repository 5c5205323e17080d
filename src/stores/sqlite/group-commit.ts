/** How one request of a batch ended: its result, or the error that refused it alone. */
export type BatchOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: requests are written together, in arrival order, by one `runBatch` (one transaction,
 * one fsync), and only one batch is written at a time, so every request made while a batch commits
 * joins the next. Each request is settled only once its batch has returned, so nothing is acknowledged
 * before it is durable; a request refused on its own (a repeated event, a lost lease) fails alone, and
 * a batch that fails as a whole fails every request in it.
 */
export class GroupCommit<Request, Result> {
  private queue: Pending<Request, Result>[] = [];
  private scheduled = false;
  private writing?: Promise<void>;

  constructor(private readonly runBatch: (requests: readonly Request[]) => Promise<BatchOutcome<Result>[]>) {}

  /** Queues a request for the next batch; settles after that batch commits. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every request submitted so far is settled. */
  async drain(): Promise<void> {
    while (this.writing !== undefined || this.queue.length > 0) {
      await (this.writing ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.writing !== undefined) return;
    this.scheduled = true;
    // After the current I/O callbacks, so every request they make joins the same batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
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
