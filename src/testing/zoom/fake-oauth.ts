import { randomBytes } from 'node:crypto';
import type { FakeResponse, RecordedRequest } from '../fake-server.js';

/** How the fake's token endpoint refuses a client; Zoom's exact status and body are UNCONFIRMED. */
export interface ZoomCredentialRefusal {
  /** HTTP status. @default 400 */
  status: 400 | 401;
  /** Body. @default { reason: 'Invalid client_id or client_secret', error: 'invalid_client' } */
  body: Record<string, unknown>;
}

/** Settings for {@link createZoomFakeOAuth}. */
export interface ZoomFakeOAuthOptions {
  /** The account id a token request must name. */
  accountId: string;
  /** The client id of the Basic credentials. */
  clientId: string;
  /** The client secret of the Basic credentials. */
  clientSecret: string;
  /** `expires_in` of every token. */
  tokenLifetimeSeconds: number;
  /** Returned as `api_url`; read per token, since the server's port is known only once it listens. */
  apiUrl: () => string;
  /** How a wrong or revoked client is refused. */
  refusal: ZoomCredentialRefusal;
  /** The fake's clock in epoch milliseconds. */
  now: () => number;
}

/** The fake's Server-to-Server OAuth: the token endpoint and the bearer check the API applies. */
export interface ZoomFakeOAuth {
  /** Answers `POST /oauth/token`. */
  issue(request: RecordedRequest): FakeResponse;
  /** Undefined when the request carries a live token, else Zoom's 401 answer. */
  refuseBearer(request: RecordedRequest): FakeResponse | undefined;
  /** Ends every token issued so far before its time, as a rotated or early-expired token. */
  expireTokens(): void;
  /** From now on the client is refused and every token it holds is dead, as after the app is deactivated. */
  revoke(): void;
  /** How many tokens were issued. */
  issued(): number;
}

// Zoom's answer to a missing, expired or revoked access token (PROVIDERS.md §1; test/core/access-token.test.ts).
const INVALID_TOKEN: FakeResponse = { status: 401, body: { code: 124, message: 'Invalid access token.' } };

/**
 * Zoom's token endpoint (PROVIDERS.md §1.1): Basic auth of client id and secret, `grant_type` and
 * `account_id` in the query string (as Zoom's docs show) or a form body (as Zoom's Rivet SDK sends),
 * a one-hour bearer token and no refresh token.
 */
export function createZoomFakeOAuth(options: ZoomFakeOAuthOptions): ZoomFakeOAuth {
  const tokens = new Map<string, { expiresAtMs: number }>();
  let acceptedSecret = options.clientSecret;
  let count = 0;

  return {
    issue(request) {
      if (request.method !== 'POST') return { status: 405, body: { reason: 'Method not allowed', error: 'invalid_request' } };
      const basic = `Basic ${Buffer.from(`${options.clientId}:${acceptedSecret}`).toString('base64')}`;
      if (request.headers.authorization !== basic) return { status: options.refusal.status, body: options.refusal.body };
      const form = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, string>) : {};
      const param = (name: string) => request.query.get(name) ?? form[name];
      if (param('grant_type') !== 'account_credentials') {
        return { status: 400, body: { reason: 'unsupported grant type', error: 'unsupported_grant_type' } };
      }
      // UNCONFIRMED body: Zoom's answer to a wrong account id is not among the sourced facts.
      if (param('account_id') !== options.accountId) return { status: 400, body: { reason: 'Invalid account_id', error: 'invalid_request' } };
      const accessToken = `fake-zoom-at-${randomBytes(24).toString('base64url')}`;
      tokens.set(accessToken, { expiresAtMs: options.now() + options.tokenLifetimeSeconds * 1000 });
      count += 1;
      return {
        status: 200,
        body: {
          access_token: accessToken,
          token_type: 'bearer',
          expires_in: options.tokenLifetimeSeconds,
          scope: 'meeting:write:admin',
          api_url: options.apiUrl(),
        },
      };
    },
    refuseBearer(request) {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const held = token === undefined ? undefined : tokens.get(token);
      return held !== undefined && options.now() < held.expiresAtMs ? undefined : INVALID_TOKEN;
    },
    expireTokens() {
      for (const held of tokens.values()) held.expiresAtMs = options.now();
    },
    revoke() {
      acceptedSecret = `revoked-${randomBytes(12).toString('hex')}`;
      tokens.clear();
    },
    issued: () => count,
  };
}
