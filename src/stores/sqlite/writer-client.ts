import { Worker } from 'node:worker_threads';
import { BridgeError, type AuditEntry } from '../../index.js';
import type { BatchOutcome } from './group-commit.js';
import type { AppendRequest, SqliteWriter } from './writer.js';
import { fromWire, outcomesFromWire, type WriterOp, type WriterReply, type WriterRequest, type WriterThreadData } from './writer-protocol.js';

/** The store's writes as promises: on a thread of their own, or in this one for a `:memory:` database. */
export type WriterLink = { [Op in WriterOp]: (...args: Parameters<SqliteWriter[Op]>) => Promise<ReturnType<SqliteWriter[Op]>> };

/** The writer run on this thread: a `:memory:` database exists only on its one connection. */
export function inlineWriter(writer: SqliteWriter): WriterLink {
  let closed = false;
  const run = <T>(work: () => T): Promise<T> =>
    closed ? Promise.reject(closedError()) : new Promise<T>((resolve) => resolve(work()));
  return {
    appendBatch: (requests) => run(() => writer.appendBatch(requests)),
    acquireLease: (request) => run(() => writer.acquireLease(request)),
    releaseLease: (deviceId, holder) => run(() => writer.releaseLease(deviceId, holder)),
    putPersonalData: (record) => run(() => writer.putPersonalData(record)),
    erasePersonalData: (nowMs) => run(() => writer.erasePersonalData(nowMs)),
    close: async () => {
      closed = true;
    },
  };
}

// The built thread entry, found through the package's own exports so it resolves from the built
// chunks and from the sources alike (the tests run the sources; their global setup builds dist first).
const THREAD_ENTRY = 'verification-call-bridge/stores/sqlite/writer-thread';

/** One started thread and the requests it has not answered yet. */
interface Generation {
  worker: Worker;
  pending: Map<number, { resolve(value: unknown): void; reject(error: unknown): void }>;
}

/**
 * The writer on a worker thread. Requests are answered in the order they were sent. If the thread dies,
 * every request it held fails with STORE_FAILED and the next request starts a new thread, which reads
 * the tree from the file as any new writer does. The thread keeps the process alive only while it holds
 * requests, so a store nobody closed does not stop the application from exiting.
 */
export class WriterThread implements WriterLink {
  private current?: Generation;
  private nextId = 0;
  private closed = false;

  constructor(private readonly data: WriterThreadData) {
    this.current = this.start();
  }

  /** Appends in one transaction on the thread; errors come back as BridgeErrors with their codes. */
  async appendBatch(requests: readonly AppendRequest[]): Promise<BatchOutcome<AuditEntry>[]> {
    return outcomesFromWire((await this.call('appendBatch', [requests])) as BatchOutcome<AuditEntry>[]);
  }

  /** See {@link SqliteWriter.acquireLease}. */
  acquireLease(...args: Parameters<SqliteWriter['acquireLease']>) {
    return this.call('acquireLease', args) as Promise<ReturnType<SqliteWriter['acquireLease']>>;
  }

  /** See {@link SqliteWriter.releaseLease}. */
  releaseLease(...args: Parameters<SqliteWriter['releaseLease']>) {
    return this.call('releaseLease', args) as Promise<boolean>;
  }

  /** See {@link SqliteWriter.putPersonalData}. */
  putPersonalData(...args: Parameters<SqliteWriter['putPersonalData']>) {
    return this.call('putPersonalData', args) as Promise<void>;
  }

  /** See {@link SqliteWriter.erasePersonalData}. */
  erasePersonalData(...args: Parameters<SqliteWriter['erasePersonalData']>) {
    return this.call('erasePersonalData', args) as Promise<ReturnType<SqliteWriter['erasePersonalData']>>;
  }

  /** Waits for the requests already sent, closes the thread's connection and lets the thread end. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const generation = this.current;
    this.current = undefined;
    if (generation === undefined) return;
    // Never terminate(): better-sqlite3 aborts the whole process if its thread is stopped inside a statement.
    const exited = new Promise((resolve) => generation.worker.once('exit', resolve));
    await this.send(generation, 'close', []);
    // Held until it has gone, or an application whose last act is close() would exit in the middle of it.
    generation.worker.ref();
    await exited;
  }

  private call(op: WriterOp, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    try {
      this.current ??= this.start();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.send(this.current, op, args);
  }

  private send(generation: Generation, op: WriterOp, args: unknown[]): Promise<unknown> {
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      try {
        generation.worker.postMessage({ id, op, args } satisfies WriterRequest);
      } catch (error) {
        reject(new BridgeError('STORE_FAILED', `sqlite store could not hand the ${op} to its writer thread`, { cause: error }));
        return;
      }
      if (generation.pending.size === 0) generation.worker.ref();
      generation.pending.set(id, { resolve, reject });
    });
  }

  private start(): Generation {
    let worker: Worker;
    try {
      // Not the application's node flags: they are for its main thread (--input-type, say, stops a worker loading).
      worker = new Worker(new URL(import.meta.resolve(THREAD_ENTRY)), { workerData: this.data, execArgv: [] });
    } catch (error) {
      throw new BridgeError('STORE_FAILED', 'sqlite store could not start its writer thread (is the package bundled? leave it external)', { cause: error });
    }
    const generation: Generation = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: WriterReply) => this.settle(generation, reply));
    worker.on('error', (error) => this.lost(generation, error));
    worker.on('exit', (code) => this.lost(generation, new Error(`the writer thread exited with code ${code}`)));
    return generation;
  }

  private settle(generation: Generation, reply: WriterReply): void {
    const waiting = generation.pending.get(reply.id);
    if (waiting === undefined) return;
    generation.pending.delete(reply.id);
    if (generation.pending.size === 0) generation.worker.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(fromWire(reply.error));
  }

  // Whether a request it held committed is unknown, as after a crash: it fails, and a retry finds out.
  private lost(generation: Generation, error: unknown): void {
    if (this.current === generation) this.current = undefined;
    const failure = new BridgeError('STORE_FAILED', 'the sqlite writer thread stopped before it answered', { cause: error });
    for (const waiting of generation.pending.values()) waiting.reject(failure);
    generation.pending.clear();
  }
}

function closedError(): BridgeError {
  return new BridgeError('STORE_FAILED', 'sqlite store is closed');
}
