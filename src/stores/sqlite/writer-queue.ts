import type { BatchOutcome } from './group-commit.js';
import type { SqliteWriter } from './writer.js';
import { serveRequest, type WriterReply, type WriterRequest } from './writer-protocol.js';

/**
 * The writer thread's side of group commit. Requests that arrive while a transaction commits wait in
 * the thread's port; once it is done they are all taken at once, and consecutive `appendBatch` requests
 * are written as one transaction (one fsync), so the store never has to wait for one batch's answer
 * before sending the next. Requests are answered in the order they came, each once its own writes
 * committed; other requests (leases, personal data) run on their own, in their place in that order.
 */
export class WriterQueue {
  private waiting: WriterRequest[] = [];
  private scheduled = false;

  constructor(
    private readonly writer: SqliteWriter,
    private readonly answer: (reply: WriterReply) => void,
  ) {}

  /** Takes a request; it runs once every request already queued in the port has been taken too. */
  receive(request: WriterRequest): void {
    this.waiting.push(request);
    if (this.scheduled) return;
    this.scheduled = true;
    // Node hands over every message already in the port before it runs immediates.
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const requests = this.waiting;
    this.waiting = [];
    for (let start = 0; start < requests.length; ) {
      let end = start;
      while (end < requests.length && requests[end]!.op === 'appendBatch') end += 1;
      if (end === start) {
        this.answer(serveRequest(this.writer, requests[start]!));
        start += 1;
      } else {
        this.appendTogether(requests.slice(start, end));
        start = end;
      }
    }
  }

  private appendTogether(batches: WriterRequest[]): void {
    const reply = serveRequest(this.writer, { id: 0, op: 'appendBatch', args: [batches.flatMap((batch) => batch.args[0] as unknown[])] });
    let offset = 0;
    for (const { id, args } of batches) {
      const count = (args[0] as unknown[]).length;
      this.answer(reply.ok ? { id, ok: true, value: (reply.value as BatchOutcome<unknown>[]).slice(offset, offset + count) } : { ...reply, id });
      offset += count;
    }
  }
}
