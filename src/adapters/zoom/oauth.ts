import { BridgeError, createProviderHttpClient, type IssuedAccessToken, type ProviderHttpOptions } from '../../index.js';

/** What the Server-to-Server OAuth token endpoint needs. */
export interface ZoomOAuthSettings extends Omit<ProviderHttpOptions, 'headers' | 'onOutcome' | 'provider'> {
  /** Reads the account id, client id and client secret; called for every token request so rotated secrets apply. */
  credentials: () => { accountId: string; clientId: string; clientSecret: string };
}

/** The fields of a token response the adapter relies on (Rivet asserts the same types). */
interface ZoomTokenResponse {
  access_token: string;
  token_type?: string;
  expires_in: number;
  scope?: string;
  api_url?: string;
}

/**
 * Returns the function that asks `POST /oauth/token` for a token with `grant_type=account_credentials`.
 * The parameters go in a form body, as Zoom's own SDK sends them, with Basic auth of the client id and
 * secret. Zoom gives no refresh token: a new token is simply requested, and older ones stay valid.
 */
export function zoomTokenIssuer(settings: ZoomOAuthSettings): () => Promise<IssuedAccessToken> {
  const { credentials, ...http } = settings;
  const client = createProviderHttpClient({
    ...http,
    provider: 'zoom',
    headers: () => {
      const { clientId, clientSecret } = credentials();
      return { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` };
    },
  });
  return async () => {
    const { accountId } = credentials();
    const { data } = await client.request<ZoomTokenResponse>({
      method: 'POST',
      path: '/oauth/token',
      form: { grant_type: 'account_credentials', account_id: accountId },
    });
    if (typeof data?.access_token !== 'string' || typeof data.expires_in !== 'number') {
      throw new BridgeError('PROVIDER_REJECTED', 'zoom token endpoint answered without access_token or expires_in', { provider: 'zoom' });
    }
    return { accessToken: data.access_token, expiresInSeconds: data.expires_in };
  };
}
