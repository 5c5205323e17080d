import type { TypedEmitter } from './emitter.js';
import type { BridgeEvents } from './bridge-types.js';

/** One line for the app's logger: `msg` is the message (pino's and bunyan's key); the rest are fields. */
export interface BridgeLogRecord {
  /** What happened, in words; never holds a secret or personal data. */
  msg: string;
  /** The bridge event this line reports. */
  event: 'webhook-rejected' | 'background-error';
  /** The stable error code. */
  code: string;
  /** The provider concerned, when there is one. */
  provider?: string;
  /** For a refused webhook: why (one of `WEBHOOK_REFUSAL_REASONS`). */
  reason?: string;
}

/** Where the bridge reports what an operator should see; `console`, pino and winston loggers all fit. */
export interface BridgeLogger {
  /** A refused or replayed webhook. */
  warn(record: BridgeLogRecord): void;
  /** Background work that failed. */
  error(record: BridgeLogRecord): void;
}

/** Sends refused webhooks and background failures to the app's logger as well as to listeners. @internal */
export function attachLogger(emitter: TypedEmitter<BridgeEvents>, logger: BridgeLogger): void {
  // A logger that throws must not feed its own failure back to itself as a background error.
  const quietly = (write: () => void) => {
    try {
      write();
    } catch {
      // Nothing sensible is left to report it to.
    }
  };
  emitter.on('webhook-rejected', ({ provider, code, reason, message }) =>
    quietly(() => logger.warn({ msg: message, event: 'webhook-rejected', code, provider, reason })),
  );
  emitter.on('background-error', (error) =>
    quietly(() =>
      logger.error({ msg: error.message, event: 'background-error', code: error.code, ...(error.provider ? { provider: error.provider } : {}) }),
    ),
  );
}
