import { randomBytes } from 'node:crypto';
import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createHealthTracker,
  createProviderHttpClient,
  providerTimeToEpochMs,
  readWebhookSecrets,
  webhookRefused,
  type AdapterHealth,
  type AdapterHttpSettings,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type ProviderTimeUnit,
  type WebhookRequest,
  type WebhookResult,
  type WebhookSecrets,
} from '../index.js';
import { normaliseDailyEvent, parseDailyEnvelope } from './daily/events.js';
import { dailyDomainId } from './daily/domain.js';
import { signDailyMeetingToken } from './daily/meeting-token.js';
import { DAILY_SIGNATURE_HEADER, DAILY_TIMESTAMP_HEADER, dailySigningSecret } from './daily/signature.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'daily';

/** Options for {@link daily}. Credentials are read on first use, from here or else the environment. */
export interface DailyAdapterOptions extends AdapterHttpSettings {
  /** Daily REST API key. @default process.env.DAILY_API_KEY */
  apiKey?: string;
  /**
   * The webhook's base64 `hmac` secret, as given or chosen at `POST /v1/webhooks`; during a rotation a
   * list, newest first, every one accepted. @default process.env.DAILY_WEBHOOK_SECRET (commas separate several)
   */
  webhookSecret?: WebhookSecrets;
  /**
   * The domain's `domain_id`, which the meeting tokens the adapter signs itself must carry.
   * @default process.env.DAILY_DOMAIN_ID, else read once from Daily's domain configuration (`GET /v1/`)
   */
  domainId?: string;
  /**
   * Read the domain id (when not configured) as soon as the adapter is made, so even the first create is
   * a single request; a key refused then marks the adapter unhealthy before any call. @default true
   */
  readDomainIdAtStart?: boolean;
  /** API root; point it at a fake or a proxy. @default 'https://api.daily.co/v1' */
  baseUrl?: string;
  /** Largest accepted gap between a webhook's timestamp and its receipt, in seconds. @default 300 */
  webhookToleranceSeconds?: number;
  /** Unit of `X-Webhook-Timestamp` (UNCONFIRMED in Daily's docs); `auto` accepts seconds or milliseconds. @default 'auto' */
  webhookTimestampUnit?: ProviderTimeUnit;
  /** Let Daily record calls in the cloud (`enable_recording: "cloud"`). @default false */
  cloudRecording?: boolean;
  /** Clock in epoch milliseconds, for token expiry and health. @default Date.now */
  now?: () => number;
}

const DEFAULT_BASE_URL = 'https://api.daily.co/v1';
// After the API key was refused, health() re-checks it at most this often, so a fixed key is noticed.
const CREDENTIAL_RECHECK_MS = 60_000;

interface DailyRoom {
  id: string;
  name: string;
  url: string;
  created_at?: string;
}

/**
 * Daily: a private room per call that any phone browser can join without an app. The ops device gets an
 * owner token, the other side a participant token, both signed here with the API key as Daily allows,
 * so a call costs one request; both expire with the room. Lifecycle evidence comes from Daily's signed
 * webhooks.
 */
export function daily(options: DailyAdapterOptions = {}): CallAdapter {
  const now = options.now ?? Date.now;
  const health = createHealthTracker({ now });
  let lastCredentialCheck = 0;
  const http = createProviderHttpClient({
    provider: PROVIDER_NAME,
    baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs,
    sleep: options.sleep,
    now,
    headers: () => ({ authorization: `Bearer ${required(options.apiKey, 'DAILY_API_KEY', 'apiKey')}` }),
    onOutcome: (error) => health.record(error),
  });

  const domainId = dailyDomainId(http, () => options.domainId ?? process.env.DAILY_DOMAIN_ID);
  // A failure here is recorded by the HTTP client's health tracking; a create asks again.
  const started = (options.readDomainIdAtStart ?? true) ? domainId().then(noop, noop) : Promise.resolve();

  async function createRoom(name: string, exp: number): Promise<DailyRoom> {
    const { data: room } = await http.request<DailyRoom>({
      method: 'POST',
      path: '/rooms',
      body: {
        name,
        privacy: 'private',
        properties: {
          exp,
          max_participants: 2,
          eject_at_room_exp: true,
          enable_knocking: false,
          enable_chat: false,
          ...(options.cloudRecording ? { enable_recording: 'cloud' } : {}),
        },
      },
    });
    if (typeof room?.url !== 'string' || typeof room.name !== 'string') throw unexpected('POST /rooms returned no room url');
    return room;
  }

  async function deleteRoom(name: string): Promise<void> {
    try {
      await http.request({ method: 'DELETE', path: `/rooms/${encodeURIComponent(name)}` });
    } catch (error) {
      // Already deleted or expired: the goal is reached.
      if (!BridgeError.hasCode(error, 'NOT_FOUND')) throw error;
    }
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: 'browser',
      // In `callback` the app sends the citizen her link (by SMS); Daily itself cannot dial out.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'webhook',
      recording: true,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      const exp = Math.floor(providerTimeToEpochMs({ value: request.expiresAt }) / 1000);
      // The name is ours to choose, so the tokens need nothing from the room's answer but its domain's id,
      // read at start; if it has not come yet, the room and that id are asked for at once: one round trip.
      const name = `vcb-${randomBytes(12).toString('base64url')}`;
      const [created, domain] = await Promise.allSettled([createRoom(name, exp), domainId()]);
      if (created.status === 'rejected') throw created.reason;
      const room = created.value;
      try {
        if (domain.status === 'rejected') throw domain.reason;
        const apiKey = required(options.apiKey, 'DAILY_API_KEY', 'apiKey');
        const otherSideName = request.flow === 'officer-device' ? 'Officer' : 'Member of the public';
        const sign = (isOwner: boolean, userId: string, userName: string) =>
          signDailyMeetingToken(apiKey, domain.value, { roomName: room.name, exp, isOwner, userId, userName }, now());
        const opsToken = sign(true, request.device.handle, 'Ops room supervisor');
        const otherToken = sign(false, `guest-${request.verificationId}`, otherSideName);
        return {
          providerCallId: room.name,
          opsDevice: { url: `${room.url}?t=${opsToken}`, token: opsToken, displayName: 'Ops room supervisor' },
          otherSide: { url: `${room.url}?t=${otherToken}`, token: otherToken, displayName: otherSideName },
          ...(typeof room.created_at === 'string' ? { providerCreatedAt: { value: room.created_at } } : {}),
          evidence: { roomId: room.id, roomUrl: room.url, exp, privacy: 'private' },
        };
      } catch (error) {
        // A room nobody can enter is useless; do not leave it behind.
        await deleteRoom(room.name).catch(() => undefined);
        throw error;
      }
    },

    async endCall(call) {
      await deleteRoom(call.providerCallId);
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookResult> {
      const signature = request.headers[DAILY_SIGNATURE_HEADER];
      const timestamp = request.headers[DAILY_TIMESTAMP_HEADER];
      if (signature === undefined || timestamp === undefined) {
        // Daily pings a new webhook URL once, unsigned (body UNCONFIRMED, seen as {"test": …}); it changes nothing.
        if (isVerificationPing(request.rawBody)) return { kind: 'ignored', reason: 'daily webhook verification ping' };
        throw webhookRefused(PROVIDER_NAME, 'unsigned', 'the delivery has no X-Webhook-Signature or X-Webhook-Timestamp');
      }
      const secrets = webhookSecrets(options);
      let sentAtMs: number;
      try {
        sentAtMs = providerTimeToEpochMs({ value: timestamp, unit: options.webhookTimestampUnit ?? 'auto' });
      } catch (error) {
        throw webhookRefused(PROVIDER_NAME, 'stale', 'X-Webhook-Timestamp is not a time', error);
      }
      const toleranceMs = (options.webhookToleranceSeconds ?? 300) * 1000;
      if (Math.abs(request.receivedAtMs - sentAtMs) > toleranceMs) {
        throw webhookRefused(PROVIDER_NAME, 'stale', `X-Webhook-Timestamp is more than ${toleranceMs / 1000} s from now`);
      }
      if (dailySigningSecret(secrets, timestamp, request.rawBody, signature) === undefined) {
        throw webhookRefused(PROVIDER_NAME, 'signature', 'X-Webhook-Signature does not match the body under any configured secret');
      }
      return normaliseDailyEvent(parseDailyEnvelope(request.rawBody));
    },

    ready: () => started,

    async health(): Promise<AdapterHealth> {
      // Without its key it cannot create a call; without the secret its lifecycle evidence would be refused.
      const missing = missingSetting(options);
      if (missing) return { ok: false, reason: missing };
      const status = health.status();
      if (!status.credentialsInvalid || now() - lastCredentialCheck < CREDENTIAL_RECHECK_MS) return status;
      lastCredentialCheck = now();
      await http.request({ method: 'GET', path: '/rooms?limit=1' }).catch(() => undefined);
      return health.status();
    },
  };
}

export default daily;

function required(value: string | undefined, variable: string, option: string): string {
  const resolved = value ?? process.env[variable];
  if (resolved === undefined || resolved.length === 0) throw notConfigured(option, variable);
  return resolved;
}

// Read on every delivery, so a secret added to the environment for a rotation counts without a restart.
function webhookSecrets(options: DailyAdapterOptions): string[] {
  return readWebhookSecrets(options.webhookSecret, 'DAILY_WEBHOOK_SECRET', 'webhookSecret', PROVIDER_NAME);
}

function notConfigured(option: string, variable: string): BridgeError {
  return new BridgeError('INVALID_CONFIG', `daily needs ${option} (or the ${variable} environment variable)`, { provider: PROVIDER_NAME });
}

function missingSetting(options: DailyAdapterOptions): string | undefined {
  for (const [value, variable, option] of [
    [options.apiKey, 'DAILY_API_KEY', 'apiKey'],
    [options.webhookSecret, 'DAILY_WEBHOOK_SECRET', 'webhookSecret'],
  ] as const) {
    if (!(value ?? process.env[variable])) return `daily is not configured: set ${option} or ${variable}`;
  }
  // Present, but perhaps an empty list or an empty secret.
  try {
    webhookSecrets(options);
    return undefined;
  } catch (error) {
    return `daily is not configured: ${(error as BridgeError).message.replace(/^daily /, '')}`;
  }
}

function isVerificationPing(rawBody: Uint8Array): boolean {
  try {
    const body = JSON.parse(Buffer.from(rawBody).toString('utf8')) as Record<string, unknown>;
    return typeof body === 'object' && body !== null && 'test' in body && !('type' in body);
  } catch {
    return false;
  }
}

function noop(): void {}

function unexpected(message: string): BridgeError {
  return new BridgeError('PROVIDER_REJECTED', `daily: ${message}`, { provider: PROVIDER_NAME });
}
