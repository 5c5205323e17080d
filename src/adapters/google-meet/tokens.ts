import type { meet_v2 } from '@googleapis/meet';
import { BridgeError } from '../../index.js';

/**
 * Anything the generated Meet client accepts as `auth` (an OAuth2Client, UserRefreshClient, JWT with
 * domain-wide delegation, GoogleAuth, …), less API keys: every Meet method needs a user's OAuth grant.
 */
export type MeetAuth = Exclude<NonNullable<meet_v2.Options['auth']>, string>;

/** The parts of a google-auth-library client the adapter reads; all of them are public API there. */
interface TokenHolder {
  credentials?: { access_token?: string | null; expiry_date?: number | null };
  refreshAccessToken?: () => Promise<unknown>;
  getAccessToken?: () => Promise<unknown>;
  eagerRefreshThresholdMillis?: number;
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
  /**
   * Has the client fetch its access token now, and again in the background shortly before it would
   * refresh it in line, so no Meet request waits for Google's token endpoint. Resolves once the first
   * fetch has settled; `report` is told of every fetch's outcome (the error as thrown), and never throws.
   */
  keepFresh(report: (error: unknown) => void): Promise<void>;
}

// google-auth-library refreshes in line this long before expiry unless told otherwise (its default).
const CLIENT_EAGER_REFRESH_MS = 300_000;
// The background refresh comes this long before that, so a request never lands in the client's own window.
const AHEAD_OF_CLIENT_MS = 60_000;
// A token too short-lived for a head start is left to the client's own in-line refresh.
const MIN_AHEAD_DELAY_MS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

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

  // One refresh in flight, whether Meet refused the token or the background asked for it.
  function refreshNow(client: TokenHolder & { refreshAccessToken: () => Promise<unknown> }): Promise<void> {
    refreshing ??= client
      .refreshAccessToken()
      .then(() => undefined)
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  }

  // Unref'd: a token kept fresh must not keep the process alive. Expiry is the client's, on the wall clock.
  function scheduleAhead(client: TokenHolder, report: (error: unknown) => void): void {
    const expiry = client.credentials?.expiry_date;
    if (typeof expiry !== 'number' || typeof client.refreshAccessToken !== 'function') return;
    const dueMs = expiry - (client.eagerRefreshThresholdMillis ?? CLIENT_EAGER_REFRESH_MS) - AHEAD_OF_CLIENT_MS - Date.now();
    if (dueMs < MIN_AHEAD_DELAY_MS) return;
    const timer = setTimeout(() => {
      refreshNow(client as TokenHolder & { refreshAccessToken: () => Promise<unknown> }).then(
        () => {
          report(undefined);
          scheduleAhead(client, report);
        },
        (error: unknown) => report(error),
      );
    }, Math.min(dueMs, MAX_TIMER_MS));
    timer.unref();
  }

  return {
    async keepFresh(report) {
      try {
        const client = await resolve();
        if (typeof client.getAccessToken !== 'function') return;
        await client.getAccessToken();
        report(undefined);
        scheduleAhead(client, report);
      } catch (error) {
        report(error);
      }
    },
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
      return refreshNow(client as TokenHolder & { refreshAccessToken: () => Promise<unknown> });
    },
  };
}
