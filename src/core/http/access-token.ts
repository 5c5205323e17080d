import { BridgeError } from '../errors.js';
import type { HealthTracker } from './health-tracker.js';
import { createProviderHttpClient, type ProviderHttpClient, type ProviderHttpOptions } from './provider-http.js';

/** A freshly issued OAuth access token. */
export interface IssuedAccessToken {
  /** The bearer token; a secret. */
  accessToken: string;
  /** Its lifetime in seconds, as the token endpoint's `expires_in` says. */
  expiresInSeconds: number;
}

/** Settings for {@link createAccessTokenSource}. */
export interface AccessTokenSourceOptions {
  /** Provider id, for errors. */
  provider: string;
  /** Asks the token endpoint for a new token; throws a BridgeError when refused. */
  issue(): Promise<IssuedAccessToken>;
  /** Refresh this long before expiry, so no request leaves with a token about to lapse. @default 60000 */
  refreshBeforeMs?: number;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * Keep a token ready, so no request waits for the token endpoint: ask for one as soon as the source
   * is made, and again in the background a while before each would be refreshed in line. @default false
   */
  keepFresh?: boolean;
  /** Told of the outcome of each fetch the source made on its own, which no request will report. */
  onBackgroundOutcome?: (error: BridgeError | undefined) => void;
}

/** A cached OAuth access token, refreshed before it lapses. */
export interface AccessTokenSource {
  /** The cached token, or a new one; concurrent callers share a single refresh. */
  token(): Promise<string>;
  /** Drops `token` if it is still the cached one, because the provider refused it. */
  expire(token: string): void;
  /** Resolves when the fetch begun at creation (with `keepFresh`) has settled; never rejects. */
  ready(): Promise<void>;
}

// setTimeout's longest delay (about 24.8 days); a longer one would fire at once.
const MAX_TIMER_MS = 2 ** 31 - 1;
// RFC 6749 §5.2: these errors mean the client or grant itself is bad; retrying cannot help.
const DEAD_CREDENTIAL_ERRORS = ['invalid_client', 'invalid_grant', 'unauthorized_client'];

/**
 * Caches the token until shortly before expiry, with one refresh in flight at a time. A token endpoint
 * that refuses the client (401, or 400 with `invalid_client`/`invalid_grant`/`unauthorized_client`)
 * throws PROVIDER_CREDENTIALS_INVALID: the credential is dead and a person must replace it.
 */
export function createAccessTokenSource(options: AccessTokenSourceOptions): AccessTokenSource {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  let cached: { value: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<string> | undefined;
  let ahead: NodeJS.Timeout | undefined;

  async function refresh(): Promise<string> {
    let issued: IssuedAccessToken;
    try {
      issued = await options.issue();
    } catch (error) {
      throw asCredentialFailure(options.provider, error);
    }
    if (typeof issued.accessToken !== 'string' || issued.accessToken.length === 0 || !(issued.expiresInSeconds > 0)) {
      throw new BridgeError('PROVIDER_REJECTED', `${options.provider} token endpoint returned no usable token`, { provider: options.provider });
    }
    const lifetimeMs = issued.expiresInSeconds * 1000;
    const refreshInMs = Math.max(lifetimeMs - refreshBeforeMs, lifetimeMs / 2);
    cached = { value: issued.accessToken, refreshAtMs: now() + refreshInMs };
    if (options.keepFresh) fetchAheadIn(Math.max(refreshInMs - refreshBeforeMs, refreshInMs / 2));
    return issued.accessToken;
  }

  function shared(): Promise<string> {
    inFlight ??= refresh().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  // The cached token stays in use until the new one comes; if none comes, requests refresh in line as before.
  function fetchAhead(): Promise<void> {
    if (inFlight) return inFlight.then(noop, noop);
    return shared().then(
      () => options.onBackgroundOutcome?.(undefined),
      (error: unknown) => options.onBackgroundOutcome?.(BridgeError.isInstance(error) ? error : undefined),
    );
  }

  // Unref'd: a token kept fresh must not keep the process alive.
  function fetchAheadIn(delayMs: number): void {
    clearTimeout(ahead);
    ahead = setTimeout(() => void fetchAhead(), Math.min(delayMs, MAX_TIMER_MS));
    ahead.unref();
  }

  const started = options.keepFresh ? fetchAhead() : Promise.resolve();

  return {
    token() {
      if (cached && now() < cached.refreshAtMs) return Promise.resolve(cached.value);
      return shared();
    },
    expire(token) {
      if (cached?.value === token) cached = undefined;
    },
    ready: () => started,
  };
}

function noop(): void {}

/** Settings for {@link createOAuthHttpClient}: the SDK's HTTP rules, with a bearer token from `tokens`. */
export interface OAuthHttpOptions extends Omit<ProviderHttpOptions, 'headers' | 'onOutcome'> {
  /** Where access tokens come from. */
  tokens: AccessTokenSource;
  /** Told of every final outcome, token endpoint failures included. */
  health?: HealthTracker;
}

/**
 * An HTTP client that sends `Authorization: Bearer <token>`. A 401 first drops the token and retries
 * once with a fresh one, since access tokens can lapse or be rotated early; a 401 with a fresh token,
 * or a token endpoint that refuses the client, means the credential is dead.
 */
export function createOAuthHttpClient(options: OAuthHttpOptions): ProviderHttpClient {
  const { tokens, health, ...http } = options;
  let lastSent: string | undefined;
  const inner = createProviderHttpClient({
    ...http,
    headers: async () => {
      lastSent = await tokens.token();
      return { authorization: `Bearer ${lastSent}` };
    },
  });
  async function send<T>(request: Parameters<ProviderHttpClient['request']>[0]) {
    try {
      return await inner.request<T>(request);
    } catch (error) {
      if (!BridgeError.hasCode(error, 'PROVIDER_CREDENTIALS_INVALID') || lastSent === undefined || error.statusCode !== 401) throw error;
      const refused = lastSent;
      tokens.expire(refused);
      try {
        return await inner.request<T>(request);
      } catch (retryError) {
        // No new token was sent when the token endpoint itself refused: its own error says so best.
        if (!BridgeError.hasCode(retryError, 'PROVIDER_CREDENTIALS_INVALID') || lastSent === refused) throw retryError;
        throw new BridgeError('PROVIDER_CREDENTIALS_INVALID', `${options.provider} refused a freshly issued access token: the credential is revoked or lacks permission`, {
          provider: options.provider,
          ...(retryError.statusCode === undefined ? {} : { statusCode: retryError.statusCode }),
          cause: retryError,
        });
      }
    }
  }
  return {
    async request<T>(request: Parameters<ProviderHttpClient['request']>[0]) {
      try {
        const result = await send<T>(request);
        health?.record(undefined);
        return result;
      } catch (error) {
        if (BridgeError.isInstance(error)) health?.record(error);
        throw error;
      }
    },
  };
}

function asCredentialFailure(provider: string, error: unknown): unknown {
  if (!BridgeError.isInstance(error) || error.code === 'PROVIDER_CREDENTIALS_INVALID') return error;
  const refused = error.statusCode === 401 || (error.statusCode === 400 && DEAD_CREDENTIAL_ERRORS.some((code) => error.responseBody?.includes(code)));
  if (!refused) return error;
  return new BridgeError('PROVIDER_CREDENTIALS_INVALID', `${provider} token endpoint refused the client credentials`, {
    provider,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    cause: error,
  });
}
