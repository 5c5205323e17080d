import type { FakeResponse } from '../fake-server.js';

// The canonical status names Google APIs pair with HTTP codes (PROVIDERS.md §5 asks for {error:{code,message,status}}).
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's JSON error body for a status; `statusName` overrides the canonical name (e.g. FAILED_PRECONDITION on a 400). */
export function googleErrorBody(code: number, message: string, statusName?: string): { error: { code: number; message: string; status: string } } {
  const status = statusName ?? STATUS_NAMES[code] ?? (code >= 500 ? 'UNAVAILABLE' : 'INVALID_ARGUMENT');
  return { error: { code, message, status } };
}

/** A Google API error answer; 401s carry the `WWW-Authenticate` challenge bearer-token APIs send. */
export function googleError(code: number, message: string, statusName?: string): FakeResponse {
  const headers = code === 401 ? { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' } : undefined;
  return { status: code, ...(headers ? { headers } : {}), body: googleErrorBody(code, message, statusName) };
}
