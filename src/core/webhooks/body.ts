/** A request body as the webhook handlers read it, whatever the server underneath. @internal */
export interface BodySource {
  /** The length the request declared (`Content-Length`), when it declared one. */
  declaredLength: number | undefined;
  /** The next chunk, or undefined at the end; rejects when the client aborts. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading and lets the rest go; never throws. */
  discard(): void;
}

/** How much body the handlers take, and how fast it must come. @internal */
export interface BodyLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  minBodyBytesPerSecond: number;
}

/** What reading a body came to: the bytes, or the status and error code to answer with. @internal */
export type BodyReading = { ok: true; body: Uint8Array } | { ok: false; status: 400 | 408 | 413; error: string };

// A client gets this long before the minimum rate applies, so a body sent after a short pause still arrives.
const RATE_GRACE_MS = 1000;
const TIMED_OUT = Symbol('timed out');

/**
 * Reads a whole body within the limits: over `maxBodyBytes` (declared or counted) gives 413 without
 * holding it in memory; not all there within `bodyTimeoutMs`, or falling behind `minBodyBytesPerSecond`
 * after the first second, gives 408. Never throws: an aborted upload gives 400. @internal
 */
export async function readBodyWithin(source: BodySource, limits: BodyLimits): Promise<BodyReading> {
  if (source.declaredLength !== undefined && source.declaredLength > limits.maxBodyBytes) {
    source.discard();
    return { ok: false, status: 413, error: 'PAYLOAD_TOO_LARGE' };
  }
  const started = performance.now();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    // The rate check as a deadline: by then `received` bytes would be too few, unless more arrive.
    const rateDeadline = started + RATE_GRACE_MS + (received / limits.minBodyBytesPerSecond) * 1000;
    const deadline = Math.min(started + limits.bodyTimeoutMs, rateDeadline);
    let chunk: Uint8Array | undefined | typeof TIMED_OUT;
    try {
      chunk = await within(source.read(), deadline - performance.now());
    } catch {
      source.discard();
      return { ok: false, status: 400, error: 'BODY_UNREADABLE' };
    }
    if (chunk === TIMED_OUT) {
      source.discard();
      return { ok: false, status: 408, error: 'BODY_TIMEOUT' };
    }
    if (chunk === undefined) return { ok: true, body: concat(chunks, received) };
    received += chunk.length;
    if (received > limits.maxBodyBytes) {
      source.discard();
      return { ok: false, status: 413, error: 'PAYLOAD_TOO_LARGE' };
    }
    chunks.push(chunk);
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  // The losing read may still reject once the source is discarded; nobody waits for it then.
  promise.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}
