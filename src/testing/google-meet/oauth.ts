import { randomBytes } from 'node:crypto';
import type { FakeResponse, RecordedRequest } from '../fake-server.js';
import { googleError } from './google-error.js';

/** The Meet scope spaces.create needs (PROVIDERS.md §5). */
export const MEET_SCOPE_CREATED = 'https://www.googleapis.com/auth/meetings.space.created';
/** The read-only Meet scope. */
export const MEET_SCOPE_READONLY = 'https://www.googleapis.com/auth/meetings.space.readonly';

/** Settings for {@link createFakeOAuth}. */
export interface FakeOAuthOptions {
  /** The OAuth client id the token endpoint accepts. */
  clientId: string;
  /** The OAuth client secret the token endpoint accepts. */
  clientSecret: string;
  /** The refresh token the ops device's Google account granted. */
  refreshToken: string;
  /** Scopes that grant holds. */
  scopes: readonly string[];
  /** Lifetime of each access token, in seconds. */
  accessTokenLifetimeSeconds: number;
  /** Clock in epoch milliseconds. */
  now: () => number;
  /** Told of every access token minted, so a test can check none reaches the log. */
  onTokenIssued?: (accessToken: string) => void;
}

/** The fake's authorisation server and bearer-token check. */
export interface FakeOAuth {
  /** Answers `POST /token` for the refresh-token grant. */
  token(request: RecordedRequest): FakeResponse;
  /** Checks a request's bearer token and scopes; undefined when it may proceed, else Google's 401 or 403. */
  authorise(request: RecordedRequest, anyOfScopes: readonly string[]): FakeResponse | undefined;
  /** Makes every access token minted so far invalid, as when they reach their expiry; the grant still works. */
  expireAccessTokens(): void;
  /** Revokes the grant: the refresh token and every access token minted from it stop working. */
  revoke(): void;
}

interface AccessToken {
  expiresAtMs: number;
  scopes: readonly string[];
}

/**
 * Google's token endpoint for the refresh-token grant and the bearer check of its APIs. PROVIDERS.md
 * is silent on the token endpoint; this follows RFC 6749 §5: `invalid_client` (401) for a wrong client
 * secret, `invalid_grant` (400) for a revoked or unknown refresh token, and the token response fields
 * `access_token`, `expires_in`, `scope`, `token_type`. Client credentials are taken from the form body
 * (google-auth-library's default) or a Basic header.
 */
export function createFakeOAuth(options: FakeOAuthOptions): FakeOAuth {
  const accessTokens = new Map<string, AccessToken>();
  let grantRevoked = false;

  function clientOf(request: RecordedRequest, form: Record<string, string>): { id?: string; secret?: string } {
    const basic = /^Basic (.+)$/i.exec(String(request.headers.authorization ?? ''));
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      return { id, secret };
    }
    return { id: form.client_id, secret: form.client_secret };
  }

  return {
    token(request) {
      const form = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string>;
      if (form.grant_type !== 'refresh_token') return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type.');
      const client = clientOf(request, form);
      if (client.id !== options.clientId || client.secret !== options.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
      if (form.refresh_token === undefined) return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
      if (grantRevoked || form.refresh_token !== options.refreshToken) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
      const accessToken = `ya29.fake-${randomBytes(24).toString('base64url')}`;
      accessTokens.set(accessToken, { expiresAtMs: options.now() + options.accessTokenLifetimeSeconds * 1000, scopes: options.scopes });
      options.onTokenIssued?.(accessToken);
      return {
        status: 200,
        body: { access_token: accessToken, expires_in: options.accessTokenLifetimeSeconds, scope: options.scopes.join(' '), token_type: 'Bearer' },
      };
    },

    authorise(request, anyOfScopes) {
      const bearer = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''));
      if (!bearer) {
        return googleError(401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      const token = accessTokens.get(bearer[1]!);
      if (!token || token.expiresAtMs <= options.now()) {
        return googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      }
      if (!anyOfScopes.some((scope) => token.scopes.includes(scope))) return googleError(403, 'Request had insufficient authentication scopes.');
      return undefined;
    },

    expireAccessTokens() {
      for (const token of accessTokens.values()) token.expiresAtMs = 0;
    },

    revoke() {
      grantRevoked = true;
      accessTokens.clear();
    },
  };
}

function oauthError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}
