import { randomUUID } from 'node:crypto';
import type { FakeResponse } from '../fake-server.js';

// Graph's error `code` per status. Only InvalidAuthenticationToken (401) is in PROVIDERS.md §4; the others
// are placeholders in Graph's style, and the adapter branches on the status alone.
const GRAPH_CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Graph's error body: `{"error":{"code","message","innerError":{…}}}`. */
export function graphErrorBody(status: number, message: string, code = GRAPH_CODES[status] ?? 'UnknownError'): unknown {
  // innerError's fields are not in PROVIDERS.md; these are the ones Graph is commonly seen to send.
  return { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } };
}

/** A Graph error answer. */
export function graphError(status: number, message: string, code?: string): FakeResponse {
  return { status, body: graphErrorBody(status, message, code) };
}

/** An identity-platform token endpoint error answer: `{"error","error_description"}` (RFC 6749 §5.2). */
export function identityError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}
