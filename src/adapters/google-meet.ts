import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createHealthTracker,
  providerTimeToEpochMs,
  webhookRefused,
  type AdapterHealth,
  type AdapterHttpSettings,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type ProviderEvent,
  type WebhookResult,
} from '../index.js';
import { lazyConnection, missingCredential } from './google-meet/client.js';
import { readConferences } from './google-meet/conference.js';
import { toMeetError } from './google-meet/errors.js';
import { conferenceEvents } from './google-meet/events.js';
import { createMeetRequester } from './google-meet/requests.js';
import type { MeetAuth } from './google-meet/tokens.js';

export type { MeetAuth } from './google-meet/tokens.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'google-meet';

/**
 * Options for {@link googleMeet}. The ops device's Google (Workspace) account authorises the app once,
 * granting `…/auth/meetings.space.created`; the app keeps that grant's refresh token and passes it here,
 * as an auth client or as the three credentials. Credentials are read on first use.
 */
export interface GoogleMeetAdapterOptions extends AdapterHttpSettings {
  /** An auth client for the ops device's account, e.g. an OAuth2Client holding its refresh token; wins over the three below. */
  auth?: MeetAuth;
  /** OAuth client id of the app. @default process.env.GOOGLE_MEET_CLIENT_ID */
  clientId?: string;
  /** OAuth client secret of the app. @default process.env.GOOGLE_MEET_CLIENT_SECRET */
  clientSecret?: string;
  /** Refresh token from the ops device account's consent. @default process.env.GOOGLE_MEET_REFRESH_TOKEN */
  refreshToken?: string;
  /** Token endpoint for the client built from those three; point it at a fake. @default 'https://oauth2.googleapis.com/token' */
  tokenUrl?: string;
  /** Meet API root; only its origin counts, since the client resolves `/v2/…` against it. @default 'https://meet.googleapis.com/' */
  rootUrl?: string;
  /**
   * Who may join without knocking (`OPEN`, `TRUSTED`, `RESTRICTED`); unset keeps the account's default.
   * Setting it may need the `meetings.space.settings` scope too (third-party report, UNCONFIRMED).
   */
  accessType?: 'OPEN' | 'TRUSTED' | 'RESTRICTED';
  /** `browser` once the citizens' phones are known to run Meet in a browser (recent on iPhone Safari). @default 'app' */
  access?: 'app' | 'browser';
  /** Read each conference's recordings when polling (one more request per conference per poll). @default true */
  recording?: boolean;
  /**
   * Have the auth client fetch its access token when the adapter is made, and again in the background
   * before it would refresh in line, so a create is one round trip; a grant refused that way marks the
   * adapter unhealthy. Loads `@googleapis/meet` at once too. @default true
   */
  keepTokenFresh?: boolean;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
}

// After the grant was refused, health() re-checks it at most this often, so a re-authorised device is noticed.
const CREDENTIAL_RECHECK_MS = 60_000;
// Roles of late events (a recording made after the call) still resolve for this long after the call's expiry.
const DEVICE_MEMORY_MS = 24 * 3_600_000;
const DEVICE_USER = /^users\/[^/\s]+$/;
const SPACE_NAME = /^spaces\/[A-Za-z0-9_-]+$/;

/**
 * Google Meet (and Duo, which became Meet): one space per call, created with the ops device's own
 * Google account, whose meeting link both sides open. Meet sends this adapter no webhooks; the bridge
 * polls conferenceRecords and their participants while the call is live. The device's handle is its
 * Google user as `users/{id}` (People API `people/{id}`), which is how Meet names it among participants.
 */
export function googleMeet(options: GoogleMeetAdapterOptions = {}): CallAdapter {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const tracker = createHealthTracker({ now });
  let credentialProblem: { reason: string; sinceMs: number } | undefined;
  const deviceUsers = new Map<string, { user: string; forgetAtMs: number }>();
  const connect = lazyConnection({ ...options, timeoutMs });
  function recordOutcome(error: BridgeError | undefined): void {
    tracker.record(error);
    if (error === undefined) credentialProblem = undefined;
    else if (error.code === 'PROVIDER_CREDENTIALS_INVALID') credentialProblem = { reason: credentialAdvice(error), sinceMs: now() };
  }
  const requester = createMeetRequester(
    {
      timeoutMs,
      maxRetries: options.maxRetries ?? 2,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
      sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
      now,
      fetch: options.fetch,
      onOutcome: recordOutcome,
    },
    connect,
  );
  // A connection that cannot be made (no credential, no package) is health()'s to report, not this fetch's.
  const started = (options.keepTokenFresh ?? true)
    ? connect().then(
        ({ tokens }) => tokens.keepFresh((error) => recordOutcome(error === undefined ? undefined : toMeetError(error, 'token refresh', now()))),
        () => undefined,
      )
    : Promise.resolve();

  function remember(space: string, user: string, expiresAt: string): void {
    const nowMs = now();
    for (const [name, entry] of deviceUsers) if (entry.forgetAtMs <= nowMs) deviceUsers.delete(name);
    deviceUsers.set(space, { user, forgetAtMs: providerTimeToEpochMs({ value: expiresAt }) + DEVICE_MEMORY_MS });
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    aliases: ['duo'],
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: options.access ?? 'app',
      // In `callback` the app sends the citizen the link (by SMS); Meet's API cannot ring anyone.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'polling',
      recording: options.recording ?? true,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      if (!DEVICE_USER.test(request.device.handle)) {
        throw new BridgeError('INVALID_CONFIG', `google-meet: the handle of device ${request.device.id} must be its Google user as users/{id}`, {
          provider: PROVIDER_NAME,
        });
      }
      const requestBody = options.accessType ? { config: { accessType: options.accessType } } : {};
      const space = await requester.send('spaces.create', 'only-after-429', (api, methodOptions) => api.spaces.create({ requestBody }, methodOptions));
      if (typeof space?.name !== 'string' || !SPACE_NAME.test(space.name) || typeof space.meetingUri !== 'string') {
        throw new BridgeError('PROVIDER_REJECTED', 'google-meet: spaces.create returned no space name or meeting link', { provider: PROVIDER_NAME });
      }
      remember(space.name, request.device.handle, request.expiresAt);
      return {
        providerCallId: space.name,
        opsDevice: { url: space.meetingUri },
        otherSide: { url: space.meetingUri },
        evidence: {
          space: space.name,
          ...(space.meetingCode ? { meetingCode: space.meetingCode } : {}),
          ...(space.config?.accessType ? { accessType: space.config.accessType } : {}),
        },
      };
    },

    async endCall(call) {
      const name = spaceName(call.providerCallId);
      try {
        await requester.send('spaces.endActiveConference', 'idempotent', (api, methodOptions) => api.spaces.endActiveConference({ name }, methodOptions));
      } catch (error) {
        // Gone, or nothing live in it (everyone left, or nobody came): either way no conference is left running.
        const nothingLive = BridgeError.hasCode(error, 'PROVIDER_REJECTED') && error.details?.googleStatus === 'FAILED_PRECONDITION';
        if (!BridgeError.hasCode(error, 'NOT_FOUND') && !nothingLive) throw error;
      }
    },

    async pollEvents(call): Promise<ProviderEvent[]> {
      const space = spaceName(call.providerCallId);
      const snapshots = await readConferences(requester, space, options.recording ?? true);
      return conferenceEvents(space, deviceUsers.get(space)?.user, snapshots);
    },

    async verifyWebhook(): Promise<WebhookResult> {
      // Nothing could vouch for a delivery, so it counts as unsigned.
      throw webhookRefused(PROVIDER_NAME, 'unsigned', 'google-meet sends none to this adapter: its lifecycle is polled');
    },

    ready: () => started,

    async health(): Promise<AdapterHealth> {
      const missing = missingCredential(options);
      if (missing) return { ok: false, reason: missing };
      try {
        await connect();
      } catch (error) {
        return { ok: false, reason: error instanceof Error ? error.message : String(error) };
      }
      if (credentialProblem && now() - credentialProblem.sinceMs >= CREDENTIAL_RECHECK_MS) {
        credentialProblem.sinceMs = now();
        await requester
          .send('conferenceRecords.list', 'idempotent', (api, methodOptions) => api.conferenceRecords.list({ pageSize: 1 }, methodOptions))
          .catch(() => undefined);
      }
      const status = tracker.status();
      return status.credentialsInvalid && credentialProblem ? { ...status, reason: credentialProblem.reason } : status;
    },
  };
}

export default googleMeet;

function spaceName(providerCallId: string): string {
  // It goes into a filter string and a URL path, so only a real space name is let through.
  if (!SPACE_NAME.test(providerCallId)) {
    throw new BridgeError('INVALID_INPUT', 'google-meet: the call id is not a Meet space name (spaces/{space})', { provider: PROVIDER_NAME });
  }
  return providerCallId;
}

function credentialAdvice(error: BridgeError): string {
  return `${error.message}; sign in to the ops device's Google account, authorise the app again (meetings.space.created) and store its new refresh token`;
}
