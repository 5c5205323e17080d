import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createHealthTracker,
  createProviderHttpClient,
  formatInstant,
  invalidInput,
  providerTimeToEpochMs,
  webhookRefused,
  type AdapterHealth,
  type AdapterHttpSettings,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type JoinDetails,
  type ProviderCallRef,
  type WebhookRequest,
  type WebhookResult,
  type WebhookSecrets,
} from '../index.js';
import { agoraChannelUids, newAgoraChannel, tokenExpiryOfChannel } from './agora/channel.js';
import { normaliseAgoraNotification, parseAgoraNotification } from './agora/events.js';
import { AGORA_SIGNATURE_HEADER, AGORA_SIGNATURE_V2_HEADER, agoraSigningSecret } from './agora/signature.js';
import { agoraSettings } from './agora/settings.js';
import { loadAgoraTokenLibrary, type AgoraRtcTokenBuilder } from './agora/token-library.js';

export type { AgoraRtcTokenBuilder } from './agora/token-library.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'agora';

/** Options for {@link agora}. Credentials are read on first use, from here or else the environment. */
export interface AgoraAdapterOptions extends AdapterHttpSettings {
  /** The project's App ID (32 hex characters). @default process.env.AGORA_APP_ID */
  appId?: string;
  /** The project's primary App Certificate, which signs tokens (32 hex characters). @default process.env.AGORA_APP_CERTIFICATE */
  appCertificate?: string;
  /**
   * The Notifications (NCS) secret from Agora Console, which signs callbacks; during a rotation a list,
   * newest first, every one accepted. @default process.env.AGORA_WEBHOOK_SECRET (commas separate several)
   */
  webhookSecret?: WebhookSecrets;
  /**
   * The app's page that joins with `agora-rtc-sdk-ng`; each side's link is this URL with `appId`, `channel`
   * and `uid` added to the query. The token is never put in the link. @default process.env.AGORA_JOIN_PAGE_URL
   */
  joinPageUrl?: string;
  /** RESTful API customer ID, needed only to end a call early (ban the channel). @default process.env.AGORA_CUSTOMER_ID */
  customerId?: string;
  /** RESTful API customer secret, paired with `customerId`. @default process.env.AGORA_CUSTOMER_SECRET */
  customerSecret?: string;
  /** Also accept callbacks signed only with the older HMAC-SHA1 `Agora-Signature`. @default false */
  acceptSha1Signature?: boolean;
  /** Largest accepted gap between a callback's signed `notifyMs` and its receipt, in seconds. @default 300 */
  webhookToleranceSeconds?: number;
  /** RESTful API root; point it at a fake or a regional domain such as `https://api.sd-rtn.com`. @default 'https://api.agora.io' */
  baseUrl?: string;
  /** Mints RTC tokens. @default agora-token's RtcTokenBuilder, imported on first use */
  tokenBuilder?: AgoraRtcTokenBuilder;
  /** Clock in epoch milliseconds, for token lifetimes, ban lengths and health. @default Date.now */
  now?: () => number;
}

/** Join details for one side: what a page running `agora-rtc-sdk-ng` passes to `client.join(appId, channel, token, uid)`. */
export interface AgoraJoinDetails extends JoinDetails {
  /** Bearer token for exactly this channel and uid; a secret. */
  token: string;
  /** The project's App ID. */
  appId: string;
  /** The channel name. */
  channel: string;
  /** This side's uid. */
  uid: number;
}

const DEFAULT_BASE_URL = 'https://api.agora.io';
// After the customer secret was refused, health() re-checks it at most this often, so a fixed one is noticed.
const CREDENTIAL_RECHECK_MS = 60_000;
// "A token is … valid for a maximum of 24 hours" (docs.agora.io/en/3.x/video-calling/basic-features/token-server).
const MAX_TOKEN_SECONDS = 86_400;
// kicking-rule `time_in_seconds` is clamped to [10, 86430] by Agora
// (docs.agora.io/en/api-reference/api-ref/rtc/create-ban-rule); the margin covers clock skew.
const BAN_MIN_SECONDS = 10;
const BAN_MAX_SECONDS = 86_430;
const BAN_MARGIN_SECONDS = 30;
// RtcRole.PUBLISHER (agora-token src/RtcTokenBuilder2.js): both sides send audio and video.
const PUBLISHER_ROLE = 1;
const REFUSED_CUSTOMER_SECRET = 'Agora refused the customer ID and secret (HTTP 401): calls cannot be ended early until they are fixed';

/**
 * Agora: a browser page joins a channel with a token this server mints locally (agora-token); Agora has
 * no request that creates a channel, which exists once someone joins. Each call gets a fresh channel and
 * two tokens for two distinct uids, so notifications tell which side joined. Lifecycle evidence comes
 * from signed Notifications (NCS) callbacks. Ending a call early bans the channel through the RESTful
 * kicking-rule API; without a customer ID and secret the tokens simply run until they expire.
 */
export function agora(options: AgoraAdapterOptions = {}): CallAdapter {
  const settings = agoraSettings(options);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRetries = options.maxRetries ?? 2;
  const health = createHealthTracker({ now });
  let lastCredentialCheck = 0;
  const http = createProviderHttpClient({
    provider: PROVIDER_NAME,
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs,
    sleep,
    now,
    headers: () => ({ authorization: settings.basicAuthorization() }),
    onOutcome: (error) => health.record(error),
  });
  const tokenBuilder = async () => options.tokenBuilder ?? (await loadAgoraTokenLibrary()).RtcTokenBuilder;

  // A second identical ban is harmless, so unlike most POSTs this one may be repeated after a 5xx, a timeout
  // or a dropped connection; the shared client repeats a POST only after a 429 (and has done so already).
  async function banChannel(body: Record<string, unknown>): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { data } = await http.request<{ status?: string }>({ method: 'POST', path: '/dev/v1/kicking-rule', body });
        if (data?.status !== 'success') throw unexpected('POST /dev/v1/kicking-rule did not report success');
        return;
      } catch (error) {
        const repeatable = BridgeError.hasCode(error, 'PROVIDER_UNAVAILABLE') && error.isRetryable && error.statusCode !== 429;
        if (!repeatable || attempt >= maxRetries) throw error;
        await sleep(200 * 2 ** attempt);
      }
    }
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: 'browser',
      // In `callback` the app sends the citizen her link (by SMS); Agora itself cannot dial out.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'webhook',
      // Cloud Recording is a separate Agora product this adapter does not drive.
      recording: false,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      const appId = settings.appId();
      const appCertificate = settings.appCertificate();
      const joinPage = settings.joinPageUrl();
      const nowMs = now();
      const lifetime = Math.min(MAX_TOKEN_SECONDS, Math.ceil((providerTimeToEpochMs({ value: request.expiresAt }) - nowMs) / 1000));
      if (!(lifetime > 0)) throw invalidInput(`expiresAt ${request.expiresAt} is not in the future`, { expiresAt: request.expiresAt });
      const tokenExpiresAt = Math.floor(nowMs / 1000) + lifetime;
      const channel = newAgoraChannel(tokenExpiresAt);
      const uids = agoraChannelUids(channel);
      const builder = await tokenBuilder();
      const side = (uid: number, displayName: string): AgoraJoinDetails => {
        const token = builder.buildTokenWithUid(appId, appCertificate, channel, uid, PUBLISHER_ROLE, lifetime, lifetime);
        // agora-token answers '' rather than throwing when it refuses its input.
        if (typeof token !== 'string' || token.length === 0) throw unexpected('agora-token built no token; check appId and appCertificate');
        const url = new URL(joinPage);
        url.searchParams.set('appId', appId);
        url.searchParams.set('channel', channel);
        url.searchParams.set('uid', String(uid));
        return { url: url.toString(), token, displayName, appId, channel, uid };
      };
      return {
        providerCallId: channel,
        opsDevice: side(uids.opsDevice, 'Ops room supervisor'),
        otherSide: side(uids.otherSide, request.flow === 'officer-device' ? 'Officer' : 'Member of the public'),
        evidence: {
          channel,
          opsDeviceUid: uids.opsDevice,
          otherSideUid: uids.otherSide,
          tokenLifetimeSeconds: lifetime,
          tokenExpiresAt: formatInstant(tokenExpiresAt * 1000),
        },
      };
    },

    // Agora cannot delete a channel; a `join_channel` ban on it removes everyone and refuses rejoining
    // until our tokens have lapsed, which is what ending the call means here.
    async endCall(call: ProviderCallRef): Promise<void> {
      const appId = settings.appId();
      if (!settings.canEndEarly()) {
        const expiry = tokenExpiryOfChannel(call.providerCallId);
        const until = expiry === undefined ? 'they expire' : formatInstant(expiry * 1000);
        throw new BridgeError('INVALID_CONFIG', `agora cannot end a channel early without customerId and customerSecret; its tokens stay valid until ${until}`, {
          provider: PROVIDER_NAME,
        });
      }
      const nowSeconds = Math.floor(now() / 1000);
      const expiry = tokenExpiryOfChannel(call.providerCallId) ?? nowSeconds + MAX_TOKEN_SECONDS;
      // Expired tokens admit nobody, and Agora removes their holders (leave reason 12): nothing is left to end.
      if (expiry <= nowSeconds) return;
      const seconds = Math.min(BAN_MAX_SECONDS, Math.max(BAN_MIN_SECONDS, expiry - nowSeconds + BAN_MARGIN_SECONDS));
      await banChannel({ appid: appId, cname: call.providerCallId, time_in_seconds: seconds, privileges: ['join_channel'] });
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookResult> {
      const v2 = request.headers[AGORA_SIGNATURE_V2_HEADER];
      const v1 = request.headers[AGORA_SIGNATURE_HEADER];
      const acceptSha1 = options.acceptSha1Signature === true;
      if (v2 === undefined && (v1 === undefined || !acceptSha1)) {
        const message = v1 === undefined ? 'the delivery has no Agora-Signature-V2' : 'the delivery has only the SHA-1 Agora-Signature, which is not accepted';
        throw webhookRefused(PROVIDER_NAME, 'unsigned', message);
      }
      const secrets = settings.webhookSecrets();
      // When the SHA-256 signature is present it decides alone: a weaker signature cannot rescue a bad one.
      const [header, signature, algorithm] = v2 !== undefined ? (['Agora-Signature-V2', v2, 'sha256'] as const) : (['Agora-Signature', v1!, 'sha1'] as const);
      if (agoraSigningSecret(secrets, request.rawBody, signature, algorithm) === undefined) {
        throw webhookRefused(PROVIDER_NAME, 'signature', `${header} does not match the body under any configured secret`);
      }
      const notification = parseAgoraNotification(request.rawBody);
      // No timestamp header exists, but `notifyMs` is signed and refreshed on every resend, so a genuine
      // delivery is always recent and a captured one replayed later is not.
      const toleranceMs = (options.webhookToleranceSeconds ?? 300) * 1000;
      if (Math.abs(request.receivedAtMs - notification.notifyMs) > toleranceMs) {
        throw webhookRefused(PROVIDER_NAME, 'stale', `notifyMs is more than ${toleranceMs / 1000} s from now`);
      }
      return normaliseAgoraNotification(notification);
    },

    async health(): Promise<AdapterHealth> {
      const missing = settings.missing();
      if (missing) return { ok: false, reason: missing };
      try {
        await tokenBuilder();
      } catch (error) {
        return { ok: false, reason: BridgeError.isInstance(error) ? error.message : 'agora-token could not be loaded' };
      }
      if (health.status().credentialsInvalid && now() - lastCredentialCheck >= CREDENTIAL_RECHECK_MS) {
        lastCredentialCheck = now();
        const path = `/dev/v1/channel/${encodeURIComponent(settings.appId())}?page_no=0&page_size=1`;
        await http.request({ method: 'GET', path }).catch(() => undefined);
      }
      const status = health.status();
      return status.credentialsInvalid ? { ...status, reason: REFUSED_CUSTOMER_SECRET } : status;
    },
  };
}

export default agora;

function unexpected(message: string): BridgeError {
  return new BridgeError('PROVIDER_REJECTED', `agora: ${message}`, { provider: PROVIDER_NAME });
}
