/** Every stable error code the SDK can raise; callers branch on these, never on messages. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'INVALID_CONFIG',
  'NOT_FOUND',
  'NO_ROUTE',
  'DEVICE_BUSY',
  'LEASE_LOST',
  'CALL_CHANGED',
  'REFERENCE_TAKEN',
  'ILLEGAL_TRANSITION',
  'PROVIDER_UNAVAILABLE',
  'PROVIDER_REJECTED',
  'PROVIDER_CREDENTIALS_INVALID',
  'WEBHOOK_INVALID',
  'DUPLICATE_EVENT',
  'UNSUPPORTED_SPECIFICATION',
  'AUDIT_TAMPERED',
  'STORE_FAILED',
] as const;

/** A stable error code, checked at the type level. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Construction options for {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The provider the failure concerns, when there is one. */
  provider?: string;
  /** HTTP status the provider answered with. */
  statusCode?: number;
  /** The provider's response body, kept for diagnosis; never holds our own secrets. */
  responseBody?: string;
  /** Whether repeating the same request later may succeed (408/409/429/5xx, network). */
  isRetryable?: boolean;
  /** How long the provider asked us to wait, in milliseconds. */
  retryAfterMs?: number;
  /** Machine-readable detail, e.g. which field was invalid. */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
}

const MARKER = Symbol.for('verification-call-bridge.error');

/** The SDK's one error class: a stable `code`, the provider where relevant, and the cause. */
export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly provider?: string;
  readonly statusCode?: number;
  readonly responseBody?: string;
  readonly isRetryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;
  private readonly [MARKER] = true;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.provider = options.provider;
    this.statusCode = options.statusCode;
    this.responseBody = options.responseBody;
    this.isRetryable = options.isRetryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }

  /** True for a BridgeError from any copy of this package (instanceof fails across copies). */
  static isInstance(value: unknown): value is BridgeError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** True when `value` is a BridgeError with the given code. */
  static hasCode(value: unknown, code: ErrorCode): value is BridgeError {
    return BridgeError.isInstance(value) && value.code === code;
  }

  /** A JSON-safe summary for logs and the audit trail: code, provider, status, message. */
  toSummary(): { code: ErrorCode; message: string; provider?: string; statusCode?: number } {
    return {
      code: this.code,
      message: this.message,
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.statusCode === undefined ? {} : { statusCode: this.statusCode }),
    };
  }
}

/** Shorthand for the most common failure: a caller passed something unusable. */
export function invalidInput(message: string, details?: Record<string, unknown>): BridgeError {
  return new BridgeError('INVALID_INPUT', message, { details });
}

/** Wraps anything thrown into a BridgeError, keeping BridgeErrors as they are. */
export function toBridgeError(error: unknown, fallbackCode: ErrorCode, message: string, provider?: string): BridgeError {
  if (BridgeError.isInstance(error)) return error;
  return new BridgeError(fallbackCode, message, { provider, cause: error });
}
