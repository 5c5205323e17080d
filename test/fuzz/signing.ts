import { createHmac } from 'node:crypto';
import type { FuzzRequest } from './requests.js';
import { effectiveHeaders } from './requests.js';

/** The four providers whose webhooks carry an authenticator. */
export type FuzzProvider = 'daily' | 'zoom' | 'agora' | 'teams';

/**
 * How a provider authenticates its deliveries, written here from PROVIDERS.md rather than imported
 * from the adapters, so the oracle does not share a bug with the code it judges: `sign` makes an
 * authentic delivery of a body, `authentic` says whether a request (after mutation) still carries a
 * valid authenticator for exactly the bytes it carries.
 */
export interface Signer {
  /** An authentic delivery of `body` at `nowMs`: its headers, and the body (changed only where the authenticator sits in it). */
  sign(body: Uint8Array, nowMs: number): Signed;
  /** Whether the request's authenticator still covers what it carries; `signedAtMs` is when it was signed. */
  authentic(request: FuzzRequest, signedAtMs: number): boolean;
}

/** A signed delivery's headers and body. */
export interface Signed {
  headers: [string, string][];
  body: Uint8Array;
}

const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

/** Daily: base64 HMAC-SHA256, keyed with the base64-decoded secret, of `timestamp.body` (PROVIDERS.md §2.3). */
export function dailySigner(secretBase64: string): Signer {
  const key = Buffer.from(secretBase64, 'base64');
  const mac = (timestamp: string, body: Uint8Array) => createHmac('sha256', key).update(`${timestamp}.`).update(body).digest();
  return {
    sign: (body, nowMs) => {
      const timestamp = String(Math.floor(nowMs / 1000));
      return { headers: [JSON_TYPE, ['x-webhook-signature', mac(timestamp, body).toString('base64')], ['x-webhook-timestamp', timestamp]], body };
    },
    authentic(request, signedAtMs) {
      const headers = effectiveHeaders(request.headers);
      const signature = headers['x-webhook-signature'];
      const timestamp = headers['x-webhook-timestamp'];
      if (signature === undefined || timestamp !== String(Math.floor(signedAtMs / 1000))) return false;
      // Exactly the base64 of the MAC (its padding optional): junk a lenient decoder would skip, or a second
      // header joined on, makes it another value, not the same signature.
      return signature.replace(/=+$/, '') === mac(timestamp, request.body).toString('base64').replace(/=+$/, '');
    },
  };
}

/** Zoom: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the Webhook Secret Token (PROVIDERS.md §1.4). */
export function zoomSigner(secretToken: string): Signer {
  const signature = (timestamp: string, body: Uint8Array) => `v0=${createHmac('sha256', secretToken).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
  return {
    sign: (body, nowMs) => {
      const timestamp = String(Math.floor(nowMs / 1000));
      return { headers: [JSON_TYPE, ['x-zm-signature', signature(timestamp, body)], ['x-zm-request-timestamp', timestamp]], body };
    },
    authentic(request, signedAtMs) {
      const headers = effectiveHeaders(request.headers);
      const timestamp = headers['x-zm-request-timestamp'];
      if (timestamp !== String(Math.floor(signedAtMs / 1000))) return false;
      return headers['x-zm-signature'] === signature(timestamp, request.body);
    },
  };
}

/**
 * Agora: lower-case hex HMAC-SHA256 of the body in `Agora-Signature-V2`, which decides alone when present;
 * the SHA-1 `Agora-Signature` is sent too but not accepted by default (PROVIDERS.md §3.3). Freshness is
 * `notifyMs` inside the signed body, so a signed body with a stale or missing one may be refused.
 */
export function agoraSigner(secret: string): Signer {
  const hex = (algorithm: 'sha256' | 'sha1', body: Uint8Array) => createHmac(algorithm, secret).update(body).digest('hex');
  return {
    sign: (body) => ({ headers: [JSON_TYPE, ['agora-signature', hex('sha1', body)], ['agora-signature-v2', hex('sha256', body)]], body }),
    authentic(request) {
      const given = effectiveHeaders(request.headers)['agora-signature-v2'];
      // Hex is case-insensitive; an odd length or a non-hex character is no signature.
      return given !== undefined && /^[0-9a-fA-F]+$/.test(given) && given.toLowerCase() === hex('sha256', request.body);
    },
  };
}

/**
 * Teams (Graph change notifications): no header is signed; every notification in `value` must carry the
 * subscription's clientState (PROVIDERS.md §4.4). Any change that leaves every clientState intact is still
 * authentic, which is why the adapter reads what it logs from Graph itself.
 */
export function teamsSigner(clientState: string): Signer {
  return {
    sign: (body) => ({ headers: [JSON_TYPE], body: withClientState(body, clientState) }),
    authentic(request) {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.from(request.body).toString('utf8'));
      } catch {
        return false;
      }
      const value = (body as { value?: unknown } | null)?.value;
      if (!Array.isArray(value) || value.length === 0) return false;
      return value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item) && (item as { clientState?: unknown }).clientState === clientState);
    },
  };
}

// A JSON object body gets the clientState in every notification (wrapped as one if it has no `value`
// list); anything else cannot carry it and is left as it is.
function withClientState(body: Uint8Array, clientState: string): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return body;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return body;
  const { value } = parsed as { value?: unknown };
  const notifications = Array.isArray(value) && value.length > 0 ? value : [parsed];
  const signed = notifications.map((item: unknown) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? { ...item, clientState } : { clientState, item }));
  try {
    return Buffer.from(JSON.stringify({ ...parsed, value: signed }));
  } catch {
    // Nested deeper than JSON.stringify can recurse (JSON.parse is not limited so): sent as it is.
    return body;
  }
}
