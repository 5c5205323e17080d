/** A request waiting in an {@link AppendQueue}, settled by the batch that takes it. */
export interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a store whose writes are asynchronous: while one batch is being written, the requests
 * that arrive wait, and go together in the next one. One batch at a time, because each is planned on the
 * tail the previous one left. `commit` settles each request once its fate is durable; a batch it throws
 * for fails every request in it it has not settled (settling twice is a no-op).
 */
export class AppendQueue<Request, Result> {
  private waiting: Pending<Request, Result>[] = [];
  private draining = false;

  constructor(
    private readonly commit: (batch: Pending<Request, Result>[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  /** Queues a request; settles once the batch that takes it has committed or refused it. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // After the current I/O callbacks, so every append they start joins the first batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        await this.commit(batch);
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    this.draining = false;
  }
}
