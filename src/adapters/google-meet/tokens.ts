import type { meet_v2 } from '@googleapis/meet';
import { BridgeError } from '../../index.js';

/**
 * Anything the generated Meet client accepts as `auth` (an OAuth2Client, UserRefreshClient, JWT with
 * domain-wide delegation, GoogleAuth, …), less API keys: every Meet method needs a user's OAuth grant.
 */
export type MeetAuth = Exclude<NonNullable<meet_v2.Options['auth']>, string>;

/** The parts of a google-auth-library client the adapter reads; all of them are public API there. */
interface TokenHolder {
  credentials?: { access_token?: string | null };
  refreshAccessToken?: () => Promise<unknown>;
}

/** Knows which access token the auth client is using, and refreshes it when Meet refuses it. */
export interface TokenKeeper {
  /** The access token the client holds now, if it says. */
  current(): Promise<string | undefined>;
  /**
   * Called after Meet answered 401 to a request sent with `rejected`: refreshes the token unless another
   * request already replaced it, with at most one refresh in flight.
   */
  refreshAfterRejection(rejected: string | undefined): Promise<void>;
}

/**
 * The auth client itself caches its access token and refreshes it shortly before expiry (google-auth-library's
 * `eagerRefreshThresholdMillis`, 5 minutes by default); this covers the other case, a token Meet refuses
 * before the client thinks it has expired (revoked session, clock skew), which the client does not
 * refresh on its own once it knows an expiry date.
 */
export function createTokenKeeper(auth: MeetAuth): TokenKeeper {
  let holder: Promise<TokenHolder> | undefined;
  let refreshing: Promise<void> | undefined;
  // GoogleAuth hands out the client that holds the token; every other accepted auth is that client.
  const resolve = () => (holder ??= 'getClient' in auth ? (auth.getClient() as Promise<TokenHolder>) : Promise.resolve(auth as TokenHolder));

  return {
    async current() {
      return (await resolve()).credentials?.access_token ?? undefined;
    },
    async refreshAfterRejection(rejected) {
      const client = await resolve();
      if (refreshing) return refreshing;
      const held = client.credentials?.access_token ?? undefined;
      if (held !== undefined && held !== rejected) return;
      if (typeof client.refreshAccessToken !== 'function') {
        throw new BridgeError('PROVIDER_CREDENTIALS_INVALID', 'google-meet: Meet refused the access token and the auth client cannot refresh it', {
          provider: 'google-meet',
          statusCode: 401,
          details: { source: 'auth-client' },
        });
      }
      refreshing = client
        .refreshAccessToken()
        .then(() => undefined)
        .finally(() => {
          refreshing = undefined;
        });
      return refreshing;
    },
  };
}
