import { BridgeError, type IssuedAccessToken, type ProviderHttpClient } from '../../index.js';

/** The scope an app-only Graph token is asked for (PROVIDERS.md §4.1). */
export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

/**
 * Any credential shaped like `@azure/identity`'s TokenCredential (ClientSecretCredential, a managed
 * identity, a certificate credential…), typed structurally so the SDK does not depend on that package.
 */
export interface GraphTokenCredential {
  /** A token for `scope`, or null when the credential cannot get one. */
  getToken(scope: string): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** The identity platform's client-credentials grant: who is asking, for what. */
export interface ClientCredentials {
  /** Directory (tenant) id or domain. */
  tenantId: string;
  /** Application (client) id. */
  clientId: string;
  /** Client secret; a secret. */
  clientSecret: string;
  /** The scope to ask for. */
  scope: string;
}

interface TokenEndpointAnswer {
  access_token?: unknown;
  expires_in?: unknown;
}

/**
 * Asks the identity platform's token endpoint for an app-only token. A refusal (401 `invalid_client` for
 * a wrong secret) reaches the token source as a BridgeError carrying the status and body, which tells a
 * dead credential from a passing outage.
 */
export async function issueClientCredentialsToken(identity: ProviderHttpClient, credentials: ClientCredentials): Promise<IssuedAccessToken> {
  const { data } = await identity.request<TokenEndpointAnswer>({
    method: 'POST',
    path: `/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`,
    form: {
      client_id: credentials.clientId,
      scope: credentials.scope,
      client_secret: credentials.clientSecret,
      grant_type: 'client_credentials',
    },
  });
  // Guards give the token source a value it refuses with its own "no usable token" error.
  return {
    accessToken: typeof data?.access_token === 'string' ? data.access_token : '',
    expiresInSeconds: typeof data?.expires_in === 'number' ? data.expires_in : Number(data?.expires_in ?? 0),
  };
}

/**
 * Asks an app-supplied credential for a token. A null answer, or an error carrying HTTP 400/401 (how
 * `@azure/identity` reports a refused client), means a person must fix the credential; anything else is
 * treated as a passing failure.
 */
export async function issueFromCredential(credential: GraphTokenCredential, scope: string, now: () => number): Promise<IssuedAccessToken> {
  let answer: Awaited<ReturnType<GraphTokenCredential['getToken']>>;
  try {
    answer = await credential.getToken(scope);
  } catch (error) {
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (status === 400 || status === 401) {
      throw new BridgeError('PROVIDER_CREDENTIALS_INVALID', 'teams: the credential was refused by the identity platform', {
        provider: 'teams',
        statusCode: status,
        cause: error,
      });
    }
    throw new BridgeError('PROVIDER_UNAVAILABLE', 'teams: the credential could not get a token', { provider: 'teams', isRetryable: true, cause: error });
  }
  if (answer === null) {
    throw new BridgeError('PROVIDER_CREDENTIALS_INVALID', 'teams: the credential returned no token', { provider: 'teams' });
  }
  return { accessToken: answer.token, expiresInSeconds: (answer.expiresOnTimestamp - now()) / 1000 };
}
