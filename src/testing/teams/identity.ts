import { randomBytes } from 'node:crypto';
import type { FakeResponse, RecordedRequest } from '../fake-server.js';
import { graphError, identityError } from './errors.js';

/** The app registration the fake identity platform knows. */
export interface FakeAppRegistration {
  /** Directory (tenant) id in the token endpoint's path. */
  tenantId: string;
  /** Application (client) id. */
  clientId: string;
  /** The client secret accepted now; changes when the fake revokes it. */
  secret(): string;
}

/** Tokens the fake has issued, and whether Graph still accepts each. */
export interface AccessTokenBook {
  /** Answers `POST /{tenant}/oauth2/v2.0/token`. */
  tokenEndpoint(request: RecordedRequest): FakeResponse;
  /** Graph's answer to a request whose bearer token it refuses, or undefined when it accepts it. */
  refuse(authorization: string | undefined): FakeResponse | undefined;
  /** Every token issued, oldest first. */
  issued(): string[];
  /** Graph now treats every token issued so far as expired, while the token endpoint still issues new ones. */
  expireAll(): void;
  /** Graph now refuses every token issued so far, as after the app's secret was revoked. */
  revokeAll(): void;
}

const SCOPE = 'https://graph.microsoft.com/.default';

/**
 * The client-credentials grant (PROVIDERS.md §4.1) and Graph's bearer check. The 401 `invalid_client`
 * AADSTS7000215 answer for a wrong secret is documented; the other refusals (missing parameter, wrong
 * grant, scope, client id or tenant) use the identity platform's error names with descriptions that are
 * not in PROVIDERS.md.
 */
export function createAccessTokenBook(app: FakeAppRegistration, options: { lifetimeSeconds: number; now: () => number }): AccessTokenBook {
  const tokens = new Map<string, { expiresAtMs: number; revoked: boolean }>();
  return {
    tokenEndpoint(request) {
      if (request.path !== `/${app.tenantId}/oauth2/v2.0/token`) {
        return identityError(400, 'invalid_request', `AADSTS90002: Tenant '${request.path.split('/')[1] ?? ''}' not found.`);
      }
      if (!request.headers['content-type']?.includes('application/x-www-form-urlencoded')) {
        return identityError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'grant_type'.");
      }
      const form = (request.body ?? {}) as Record<string, string | undefined>;
      const missing = ['grant_type', 'client_id', 'scope', 'client_secret'].find((name) => !form[name]);
      if (missing) return identityError(400, 'invalid_request', `AADSTS900144: The request body must contain the following parameter: '${missing}'.`);
      if (form.grant_type !== 'client_credentials') return identityError(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
      if (form.scope !== SCOPE) return identityError(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${form.scope} is not valid.`);
      if (form.client_id !== app.clientId) {
        return identityError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.client_id}' was not found in the directory.`);
      }
      if (form.client_secret !== app.secret()) {
        return identityError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
      }
      const token = `fake-graph-${randomBytes(24).toString('base64url')}`;
      tokens.set(token, { expiresAtMs: options.now() + options.lifetimeSeconds * 1000, revoked: false });
      return {
        status: 200,
        body: { token_type: 'Bearer', expires_in: options.lifetimeSeconds, ext_expires_in: options.lifetimeSeconds, access_token: token },
      };
    },
    refuse(authorization) {
      const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
      if (token === undefined) return graphError(401, 'Access token is empty.');
      const known = tokens.get(token);
      if (known === undefined || known.revoked) return graphError(401, 'Access token validation failure.');
      if (options.now() >= known.expiresAtMs) return graphError(401, 'Access token has expired or is not yet valid.');
      return undefined;
    },
    issued: () => [...tokens.keys()],
    expireAll() {
      for (const token of tokens.values()) token.expiresAtMs = Math.min(token.expiresAtMs, options.now());
    },
    revokeAll() {
      for (const token of tokens.values()) token.revoked = true;
    },
  };
}
