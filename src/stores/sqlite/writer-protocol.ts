import { BridgeError, ERROR_CODES, type ErrorCode } from '../../index.js';
import type { BatchOutcome } from './group-commit.js';
import type { SqliteWriter } from './writer.js';

/** The writer's operations that cross the thread boundary; `close` ends the thread's connection. */
export type WriterOp = keyof SqliteWriter;

/** A call from the store to its writer thread. */
export interface WriterRequest {
  id: number;
  op: WriterOp;
  args: unknown[];
}

/** A BridgeError flattened for `postMessage`, which would drop its code and keep only the message. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  cause?: { name: string; message: string; code?: string };
}

/** The writer thread's answer to one request. */
export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** What `workerData` carries to the writer thread. */
export interface WriterThreadData {
  filename: string;
  busyTimeoutMs: number;
}

/** Runs one request on the writer and flattens what it returns or throws, outcome errors included. */
export function serveRequest(writer: SqliteWriter, { id, op, args }: WriterRequest): WriterReply {
  try {
    const value = (writer[op] as (...a: unknown[]) => unknown)(...args);
    return { id, ok: true, value: op === 'appendBatch' ? (value as BatchOutcome<unknown>[]).map(flattenOutcome) : value };
  } catch (error) {
    return { id, ok: false, error: toWire(error) };
  }
}

function flattenOutcome(outcome: BatchOutcome<unknown>): BatchOutcome<unknown> {
  return outcome.ok ? outcome : { ok: false, error: toWire(outcome.error) };
}

/** A thrown value as a WireError; anything not a BridgeError is a store failure. */
export function toWire(error: unknown): WireError {
  const bridgeError = BridgeError.isInstance(error) ? error : new BridgeError('STORE_FAILED', 'sqlite writer failed', { cause: error });
  const cause = bridgeError.cause as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  return {
    code: bridgeError.code,
    message: bridgeError.message,
    ...(bridgeError.details === undefined ? {} : { details: bridgeError.details }),
    ...(cause === undefined || cause === null
      ? {}
      : { cause: { name: String(cause.name ?? 'Error'), message: String(cause.message ?? cause), ...(typeof cause.code === 'string' ? { code: cause.code } : {}) } }),
  };
}

/** The BridgeError a WireError stands for, with the same code, message and details. */
export function fromWire(wire: WireError): BridgeError {
  const code = ERROR_CODES.includes(wire.code) ? wire.code : 'STORE_FAILED';
  const cause = wire.cause && Object.assign(new Error(wire.cause.message), { name: wire.cause.name, code: wire.cause.code });
  return new BridgeError(code, wire.message, { ...(wire.details ? { details: wire.details } : {}), ...(cause ? { cause } : {}) });
}

/** The outcomes of an `appendBatch` reply, their errors BridgeErrors again. */
export function outcomesFromWire<Result>(outcomes: BatchOutcome<Result>[]): BatchOutcome<Result>[] {
  return outcomes.map((outcome) => (outcome.ok ? outcome : { ok: false, error: fromWire(outcome.error as WireError) }));
}
