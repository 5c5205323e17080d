/** A request waiting in an {@link AppendQueue}, settled by the batch that takes it. */
export interface Pending<Request, Result> {
  request: Request;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a store whose writes are asynchronous: the requests that arrive while batches are being
 * written wait, and go together in the next one. `commit` takes batches (at most `maxBatch` each) until none
 * is left and settles each request once its fate is durable; it must settle every request it takes. While
 * a batch is under way it may wait for the next request to arrive (`arrival`), to send it behind that batch.
 */
export class AppendQueue<Request, Result> {
  private waiting: Pending<Request, Result>[] = [];
  private draining = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly commit: (take: () => Pending<Request, Result>[], arrival: () => Promise<void>) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  /** Queues a request; settles once the batch that takes it has committed or refused it. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.wake?.();
      if (this.draining) return;
      this.draining = true;
      // After the current I/O callbacks, so every append they start joins the first batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    // Checked again after each run: a request that arrived as `commit` returned would otherwise wait for ever.
    while (this.waiting.length > 0) await this.commit(() => this.waiting.splice(0, this.maxBatch), () => this.arrival());
    this.draining = false;
  }

  // Settles once a request is waiting, after the I/O callbacks of that moment so its neighbours join it.
  private arrival(): Promise<void> {
    const arrived = this.waiting.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.wake = resolve));
    return arrived.then(() => {
      this.wake = undefined;
      return new Promise<void>((resolve) => setImmediate(resolve));
    });
  }
}
