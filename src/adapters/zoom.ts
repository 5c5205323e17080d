import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createAccessTokenSource,
  createHealthTracker,
  createOAuthHttpClient,
  formatInstant,
  webhookRefused,
  type AdapterHealth,
  type AdapterHttpSettings,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type JsonObject,
  type ProviderCallRef,
  type WebhookRequest,
  type WebhookResult,
  type WebhookSecrets,
} from '../index.js';
import { deleteZoomMeeting, endZoomMeeting } from './zoom/end-meeting.js';
import { dailyLimitError, hasZoomCode, nextUtcMidnight, rateLimitOf } from './zoom/errors.js';
import { normaliseZoomEvent, parseZoomEnvelope, ZOOM_URL_VALIDATION_EVENT } from './zoom/events.js';
import { isCreatedMeeting, meetingRequestBody, type ZoomAutoRecording, type ZoomCreatedMeeting } from './zoom/meeting.js';
import { zoomTokenIssuer } from './zoom/oauth.js';
import { missingSetting, requiredSecrets, requiredSetting, type SecretsSource, type SettingSource } from './zoom/settings.js';
import { ZOOM_SIGNATURE_HEADER, ZOOM_TIMESTAMP_HEADER, zoomEncryptedToken, zoomSigningSecret } from './zoom/signature.js';

export { zoomVideoSdk, type ZoomVideoSdkOptions } from './zoom/video-sdk.js';
export type { ZoomAutoRecording } from './zoom/meeting.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'zoom';

/** Options for {@link zoom}. Credentials are read on first use, from here or else the environment. */
export interface ZoomAdapterOptions extends AdapterHttpSettings {
  /** Account ID of the Server-to-Server OAuth app. @default process.env.ZOOM_ACCOUNT_ID */
  accountId?: string;
  /** Client ID of the Server-to-Server OAuth app. @default process.env.ZOOM_CLIENT_ID */
  clientId?: string;
  /** Client secret of the Server-to-Server OAuth app. @default process.env.ZOOM_CLIENT_SECRET */
  clientSecret?: string;
  /**
   * The app's Webhook Secret Token, which signs every event; during a rotation a list, newest first, every
   * one accepted. @default process.env.ZOOM_WEBHOOK_SECRET_TOKEN (commas separate several)
   */
  webhookSecretToken?: WebhookSecrets;
  /** API root; use the token's `api_url` host for regional accounts, or a fake. @default 'https://api.zoom.us/v2' */
  baseUrl?: string;
  /** Root of the OAuth token endpoint (`/oauth/token` below it). @default 'https://zoom.us' */
  oauthBaseUrl?: string;
  /** Ask for a new access token this long before the current one (1 hour) lapses. @default 60000 */
  refreshBeforeMs?: number;
  /** Largest accepted gap between `x-zm-request-timestamp` and receipt, in seconds. @default 300 */
  webhookToleranceSeconds?: number;
  /** Zoom's `auto_recording` for every call; recording a member of the public needs a lawful basis. @default 'none' */
  autoRecording?: ZoomAutoRecording;
  /** Put the other side in a waiting room until the supervisor admits her. @default false */
  waitingRoom?: boolean;
  /**
   * Ask for the access token when the adapter is made, and again in the background before it lapses, so
   * a create is one round trip; a refused credential found that way marks the adapter unhealthy. @default true
   */
  keepTokenFresh?: boolean;
  /** Clock in epoch milliseconds, for token expiry, meeting times and health. @default Date.now */
  now?: () => number;
}

const DEFAULT_BASE_URL = 'https://api.zoom.us/v2';
const DEFAULT_OAUTH_BASE_URL = 'https://zoom.us';
// After the credential was refused, health() asks for a token at most this often, so a fixed secret is noticed.
const CREDENTIAL_RECHECK_MS = 60_000;
// User does not exist, or not in this account: the device handle is wrong, not the call.
const USER_UNKNOWN = [1001, 1010];

/**
 * Zoom meetings: one passcode-protected meeting per call, created for the ops device's Zoom user (the
 * device handle: a user id or email) through a Server-to-Server OAuth app. The ops device starts it
 * with the start URL, the other side joins with the join URL in the Zoom app. Lifecycle evidence comes
 * from Zoom's signed webhooks; the call is ended with a status "end" and then deleted.
 */
export function zoom(options: ZoomAdapterOptions = {}): CallAdapter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const health = createHealthTracker({ now });
  const http = { fetch: options.fetch, timeoutMs: options.timeoutMs, maxRetries: options.maxRetries, maxRetryAfterMs: options.maxRetryAfterMs, sleep, now };
  const issue = zoomTokenIssuer({
    ...http,
    baseUrl: options.oauthBaseUrl ?? DEFAULT_OAUTH_BASE_URL,
    credentials: () => ({
      accountId: requiredSetting(PROVIDER_NAME, settings(options).accountId),
      clientId: requiredSetting(PROVIDER_NAME, settings(options).clientId),
      clientSecret: requiredSetting(PROVIDER_NAME, settings(options).clientSecret),
    }),
  });
  const tokens = createAccessTokenSource({
    provider: PROVIDER_NAME,
    issue,
    refreshBeforeMs: options.refreshBeforeMs,
    now,
    keepFresh: options.keepTokenFresh ?? true,
    onBackgroundOutcome: (error) => health.record(error),
  });
  const api = createOAuthHttpClient({ ...http, provider: PROVIDER_NAME, baseUrl: options.baseUrl ?? DEFAULT_BASE_URL, tokens, health });
  const userLimitedUntil = new Map<string, number>();
  let accountLimitedUntil = 0;
  let lastCredentialCheck = 0;

  // Zoom's daily limits hold until 00:00 UTC: asking again before then only spends the citizen's time.
  function explainCreateFailure(error: unknown, user: string): unknown {
    const limit = rateLimitOf(error);
    if (limit === 'per-user-daily' || limit === 'daily') {
      const retryAfterMs = (error as BridgeError).retryAfterMs ?? nextUtcMidnight(now()) - now();
      if (limit === 'per-user-daily') userLimitedUntil.set(user, now() + retryAfterMs);
      else accountLimitedUntil = now() + retryAfterMs;
      return dailyLimitError(limit, retryAfterMs, error);
    }
    if (hasZoomCode(error, USER_UNKNOWN)) {
      return new BridgeError('INVALID_CONFIG', "zoom does not know the ops device's Zoom user in this account: check the device's zoom handle", {
        provider: PROVIDER_NAME,
        statusCode: (error as BridgeError).statusCode,
        cause: error,
      });
    }
    return error;
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: 'app',
      // In `callback` the app sends the citizen her join link; Zoom meetings cannot ring a person.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'webhook',
      recording: true,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      const user = request.device.handle;
      const limitedUntil = userLimitedUntil.get(user) ?? 0;
      if (now() < limitedUntil) throw dailyLimitError('per-user-daily', limitedUntil - now());
      const policy = { autoRecording: options.autoRecording ?? 'none', waitingRoom: options.waitingRoom ?? false };
      let meeting: unknown;
      try {
        ({ data: meeting } = await api.request<unknown>({
          method: 'POST',
          path: `/users/${encodeURIComponent(user)}/meetings`,
          body: meetingRequestBody(request, policy, now()),
        }));
      } catch (error) {
        throw explainCreateFailure(error, user);
      }
      if (!isCreatedMeeting(meeting)) {
        const id = (meeting as { id?: unknown } | undefined)?.id;
        if (typeof id === 'number') await deleteZoomMeeting(api, `/meetings/${id}`, sleep).catch(() => undefined);
        throw new BridgeError('PROVIDER_REJECTED', 'zoom created a meeting without an id, join_url or start_url', { provider: PROVIDER_NAME });
      }
      const otherSideName = request.flow === 'officer-device' ? 'Officer' : 'Member of the public';
      const zak = queryParameter(meeting.start_url, 'zak');
      const passcode = typeof meeting.password === 'string' && meeting.password.length > 0 ? meeting.password : undefined;
      return {
        providerCallId: String(meeting.id),
        // The start URL carries the host's zak token and the join URL the passcode hash: both are secrets.
        opsDevice: { url: meeting.start_url, ...(zak ? { token: zak } : {}), displayName: 'Ops room supervisor' },
        otherSide: { url: meeting.join_url, ...(passcode ? { token: passcode } : {}), displayName: otherSideName },
        ...(typeof meeting.created_at === 'string' ? { providerCreatedAt: { value: meeting.created_at } } : {}),
        evidence: meetingEvidence(meeting, policy),
      };
    },

    async endCall(call: ProviderCallRef): Promise<void> {
      await endZoomMeeting(api, call.providerCallId, sleep);
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookResult> {
      const signature = request.headers[ZOOM_SIGNATURE_HEADER];
      const timestamp = request.headers[ZOOM_TIMESTAMP_HEADER];
      if (!signature || !timestamp) throw webhookRefused(PROVIDER_NAME, 'unsigned', 'the delivery has no x-zm-signature or x-zm-request-timestamp');
      const secrets = requiredSecrets(PROVIDER_NAME, webhookSecrets(options));
      if (!/^\d{1,12}$/.test(timestamp)) throw webhookRefused(PROVIDER_NAME, 'stale', 'x-zm-request-timestamp is not Unix seconds');
      const toleranceMs = (options.webhookToleranceSeconds ?? 300) * 1000;
      if (Math.abs(request.receivedAtMs - Number(timestamp) * 1000) > toleranceMs) {
        throw webhookRefused(PROVIDER_NAME, 'stale', `x-zm-request-timestamp is more than ${toleranceMs / 1000} s from now`);
      }
      const secret = zoomSigningSecret(secrets, timestamp, request.rawBody, signature);
      if (secret === undefined) throw webhookRefused(PROVIDER_NAME, 'signature', 'x-zm-signature does not match the body under any configured secret token');
      const envelope = parseZoomEnvelope(request.rawBody);
      if (envelope.event === ZOOM_URL_VALIDATION_EVENT) {
        const plainToken = envelope.payload.plainToken;
        if (typeof plainToken !== 'string' || plainToken.length === 0) throw webhookRefused(PROVIDER_NAME, 'malformed', 'the URL validation has no plainToken');
        // Answered with the token that signed the challenge: Zoom checks it against the one it now holds.
        const body = JSON.stringify({ plainToken, encryptedToken: zoomEncryptedToken(secret, plainToken) });
        return { kind: 'reply', reply: { status: 200, headers: { 'content-type': 'application/json' }, body } };
      }
      return normaliseZoomEvent(envelope);
    },

    ready: () => tokens.ready(),

    async health(): Promise<AdapterHealth> {
      const missing = missingSetting(PROVIDER_NAME, Object.values(settings(options)), webhookSecrets(options));
      if (missing) return { ok: false, reason: missing };
      if (now() < accountLimitedUntil) {
        return { ok: false, reason: `zoom's daily API limit for this account is used up until ${formatInstant(accountLimitedUntil)}` };
      }
      const status = health.status();
      if (!status.credentialsInvalid || now() - lastCredentialCheck < CREDENTIAL_RECHECK_MS) return status;
      lastCredentialCheck = now();
      // A token issued again means the client credential was fixed; the cached token is left alone.
      const fixed = await issue().then(
        () => true,
        () => false,
      );
      if (fixed) health.record(undefined);
      return health.status();
    },
  };
}

export default zoom;

function settings(options: ZoomAdapterOptions): Record<'accountId' | 'clientId' | 'clientSecret', SettingSource> {
  return {
    accountId: [options.accountId, 'ZOOM_ACCOUNT_ID', 'accountId'],
    clientId: [options.clientId, 'ZOOM_CLIENT_ID', 'clientId'],
    clientSecret: [options.clientSecret, 'ZOOM_CLIENT_SECRET', 'clientSecret'],
  };
}

// Read on every delivery, so a token added to the environment for a rotation counts without a restart.
function webhookSecrets(options: ZoomAdapterOptions): SecretsSource {
  return [options.webhookSecretToken, 'ZOOM_WEBHOOK_SECRET_TOKEN', 'webhookSecretToken'];
}

function queryParameter(url: string, name: string): string | undefined {
  try {
    return new URL(url).searchParams.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

// What Zoom says it applied (an account may lock settings), else what was asked; never the passcode.
function meetingEvidence(meeting: ZoomCreatedMeeting, policy: { autoRecording: string; waitingRoom: boolean }): JsonObject {
  const applied = meeting.settings ?? {};
  const pick = (field: string, asked: string | boolean) => (typeof applied[field] === typeof asked ? (applied[field] as string | boolean) : asked);
  return {
    meetingId: String(meeting.id),
    ...(typeof meeting.uuid === 'string' ? { meetingUuid: meeting.uuid } : {}),
    passcodeRequired: typeof meeting.password === 'string' && meeting.password.length > 0,
    joinBeforeHost: pick('join_before_host', false),
    waitingRoom: pick('waiting_room', policy.waitingRoom),
    autoRecording: pick('auto_recording', policy.autoRecording),
  };
}
