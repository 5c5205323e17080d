import type { meet_v2 } from '@googleapis/meet';
import { BridgeError } from '../../index.js';
import { createTokenKeeper, type MeetAuth, type TokenKeeper } from './tokens.js';

/** Google's OAuth token endpoint, where a refresh token is exchanged for an access token. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Meet REST API root (PROVIDERS.md §5). */
export const MEET_ROOT_URL = 'https://meet.googleapis.com/';

/** How the adapter authenticates and where it sends requests. */
export interface MeetConnectionSettings {
  /** An app-supplied auth client; wins over the three credentials below. */
  auth?: MeetAuth;
  /** OAuth client id, else `GOOGLE_MEET_CLIENT_ID`. */
  clientId?: string;
  /** OAuth client secret, else `GOOGLE_MEET_CLIENT_SECRET`. */
  clientSecret?: string;
  /** The ops device account's refresh token, else `GOOGLE_MEET_REFRESH_TOKEN`. */
  refreshToken?: string;
  /** Token endpoint for the client built from the three credentials. */
  tokenUrl?: string;
  /** Meet API root. */
  rootUrl?: string;
  /** Per-attempt timeout of the built client's token requests. */
  timeoutMs: number;
  /** The fetch the built client's token requests use. */
  fetch?: typeof globalThis.fetch;
}

/** The generated Meet client and the keeper of its access token. */
export interface MeetConnection {
  /** `@googleapis/meet`'s v2 client. */
  api: meet_v2.Meet;
  /** The token it authenticates with. */
  tokens: TokenKeeper;
}

const ENV = { clientId: 'GOOGLE_MEET_CLIENT_ID', clientSecret: 'GOOGLE_MEET_CLIENT_SECRET', refreshToken: 'GOOGLE_MEET_REFRESH_TOKEN' } as const;

/** Names what is missing for the adapter to authenticate, or undefined when nothing is. */
export function missingCredential(settings: Pick<MeetConnectionSettings, 'auth' | 'clientId' | 'clientSecret' | 'refreshToken'>): string | undefined {
  if (settings.auth !== undefined) return undefined;
  const missing = (Object.keys(ENV) as (keyof typeof ENV)[]).filter((key) => !(settings[key] ?? process.env[ENV[key]]));
  if (missing.length === 0) return undefined;
  return `google-meet is not configured: pass auth, or set ${missing.map((key) => `${key} (${ENV[key]})`).join(', ')}`;
}

/**
 * Loads `@googleapis/meet` on first use (it is heavy, and an optional peer) and builds its client once.
 * A failed load is not remembered, so installing the package later needs no restart.
 */
export function lazyConnection(settings: MeetConnectionSettings): () => Promise<MeetConnection> {
  let connection: Promise<MeetConnection> | undefined;
  return () => {
    connection ??= connect(settings).catch((error: unknown) => {
      connection = undefined;
      throw error;
    });
    return connection;
  };
}

async function connect(settings: MeetConnectionSettings): Promise<MeetConnection> {
  const missing = missingCredential(settings);
  if (missing) throw new BridgeError('INVALID_CONFIG', missing, { provider: 'google-meet' });
  let library: typeof import('@googleapis/meet');
  try {
    library = await import('@googleapis/meet');
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', 'google-meet needs the @googleapis/meet package installed beside verification-call-bridge', {
      provider: 'google-meet',
      cause: error,
    });
  }
  const auth = settings.auth ?? builtClient(library, settings);
  const api = library.meet({ version: 'v2', auth, rootUrl: settings.rootUrl ?? MEET_ROOT_URL });
  return { api, tokens: createTokenKeeper(auth) };
}

// The ops device's Google account authorised the app once; its refresh token stands in for it from then on.
function builtClient(library: typeof import('@googleapis/meet'), settings: MeetConnectionSettings): MeetAuth {
  const read = (key: keyof typeof ENV) => settings[key] ?? process.env[ENV[key]]!;
  const client = new library.auth.OAuth2({
    clientId: read('clientId'),
    clientSecret: read('clientSecret'),
    endpoints: { oauth2TokenUrl: settings.tokenUrl ?? GOOGLE_TOKEN_URL },
    transporterOptions: { timeout: settings.timeoutMs, ...(settings.fetch ? { fetchImplementation: settings.fetch } : {}) },
  });
  client.setCredentials({ refresh_token: read('refreshToken') });
  return client;
}
