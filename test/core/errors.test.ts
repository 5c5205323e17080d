import { describe, expect, it } from 'vitest';
import { BridgeError, ERROR_CODES, invalidInput, toBridgeError } from '../../src/core/errors.js';

describe('BridgeError', () => {
  it('carries code, name, message and options', () => {
    const error = new BridgeError('PROVIDER_REJECTED', 'daily POST /rooms answered 400', {
      provider: 'daily',
      statusCode: 400,
      responseBody: '{"error":"bad"}',
      isRetryable: false,
      retryAfterMs: 1500,
      details: { field: 'x' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.name).toBe('BridgeError');
    expect(error.code).toBe('PROVIDER_REJECTED');
    expect(error.message).toBe('daily POST /rooms answered 400');
    expect(error.provider).toBe('daily');
    expect(error.statusCode).toBe(400);
    expect(error.responseBody).toBe('{"error":"bad"}');
    expect(error.retryAfterMs).toBe(1500);
    expect(error.details).toEqual({ field: 'x' });
  });

  it('isRetryable defaults to false', () => {
    expect(new BridgeError('STORE_FAILED', 'x').isRetryable).toBe(false);
    expect(new BridgeError('PROVIDER_UNAVAILABLE', 'x', { isRetryable: true }).isRetryable).toBe(true);
  });

  it('keeps the cause, and sets none when not given', () => {
    const root = new TypeError('socket hang up');
    const error = new BridgeError('PROVIDER_UNAVAILABLE', 'failed', { cause: root });
    expect(error.cause).toBe(root);
    expect('cause' in new BridgeError('PROVIDER_UNAVAILABLE', 'failed')).toBe(false);
    expect(new BridgeError('PROVIDER_UNAVAILABLE', 'failed', { cause: 'text cause' }).cause).toBe('text cause');
  });
});

describe('BridgeError.isInstance', () => {
  it('is true for instances', () => {
    expect(BridgeError.isInstance(new BridgeError('NOT_FOUND', 'x'))).toBe(true);
    expect(BridgeError.isInstance(invalidInput('x'))).toBe(true);
  });

  it('is true for a plain object with the same Symbol.for marker (another copy of the package)', () => {
    const foreign = { [Symbol.for('verification-call-bridge.error')]: true, code: 'NOT_FOUND', message: 'elsewhere' };
    expect(foreign instanceof BridgeError).toBe(false);
    expect(BridgeError.isInstance(foreign)).toBe(true);
  });

  it('is false for ordinary errors and other values', () => {
    expect(BridgeError.isInstance(new Error('x'))).toBe(false);
    expect(BridgeError.isInstance(Object.assign(new Error('x'), { code: 'NOT_FOUND', name: 'BridgeError' }))).toBe(false);
    expect(BridgeError.isInstance({ [Symbol.for('verification-call-bridge.error')]: 'yes' })).toBe(false);
    expect(BridgeError.isInstance({ [Symbol('verification-call-bridge.error')]: true })).toBe(false);
    for (const value of [null, undefined, 'BridgeError', 42, true]) expect(BridgeError.isInstance(value)).toBe(false);
  });
});

describe('BridgeError.hasCode', () => {
  it('matches only the given code on a BridgeError', () => {
    const error = new BridgeError('DEVICE_BUSY', 'busy');
    expect(BridgeError.hasCode(error, 'DEVICE_BUSY')).toBe(true);
    expect(BridgeError.hasCode(error, 'NO_ROUTE')).toBe(false);
    expect(BridgeError.hasCode(Object.assign(new Error('x'), { code: 'DEVICE_BUSY' }), 'DEVICE_BUSY')).toBe(false);
    const foreign = { [Symbol.for('verification-call-bridge.error')]: true, code: 'DEVICE_BUSY' };
    expect(BridgeError.hasCode(foreign, 'DEVICE_BUSY')).toBe(true);
    expect(BridgeError.hasCode(undefined, 'DEVICE_BUSY')).toBe(false);
  });
});

describe('toSummary', () => {
  it('omits undefined fields', () => {
    const summary = new BridgeError('INVALID_INPUT', 'bad thing', { details: { secret: 'x' }, responseBody: 'body' }).toSummary();
    expect(summary).toEqual({ code: 'INVALID_INPUT', message: 'bad thing' });
    expect(Object.keys(summary).sort()).toEqual(['code', 'message']);
  });

  it('includes provider and statusCode when set, and nothing else', () => {
    const summary = new BridgeError('PROVIDER_UNAVAILABLE', 'down', {
      provider: 'zoom',
      statusCode: 503,
      responseBody: 'upstream body',
      retryAfterMs: 1000,
      cause: new Error('inner'),
    }).toSummary();
    expect(summary).toEqual({ code: 'PROVIDER_UNAVAILABLE', message: 'down', provider: 'zoom', statusCode: 503 });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('keeps a statusCode of 0', () => {
    expect(new BridgeError('PROVIDER_UNAVAILABLE', 'x', { statusCode: 0 }).toSummary()).toEqual({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'x',
      statusCode: 0,
    });
  });
});

describe('helpers', () => {
  it('invalidInput gives INVALID_INPUT with details', () => {
    const error = invalidInput('nope', { field: 'reason' });
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toBe('nope');
    expect(error.details).toEqual({ field: 'reason' });
  });

  it('toBridgeError keeps BridgeErrors and wraps anything else with the cause', () => {
    const original = new BridgeError('NOT_FOUND', 'gone');
    expect(toBridgeError(original, 'STORE_FAILED', 'ignored')).toBe(original);
    const cause = new Error('disk full');
    const wrapped = toBridgeError(cause, 'STORE_FAILED', 'store write failed', 'daily');
    expect(wrapped.code).toBe('STORE_FAILED');
    expect(wrapped.message).toBe('store write failed');
    expect(wrapped.provider).toBe('daily');
    expect(wrapped.cause).toBe(cause);
  });

  it('ERROR_CODES lists each code once', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES).toContain('ILLEGAL_TRANSITION');
    expect(ERROR_CODES).toContain('PROVIDER_CREDENTIALS_INVALID');
  });
});
