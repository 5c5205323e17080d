import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createAccessTokenSource,
  createHealthTracker,
  createOAuthHttpClient,
  createProviderHttpClient,
  formatInstant,
  readWebhookSecrets,
  webhookRefused,
  type AdapterHealth,
  type AdapterHttpSettings,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type ProviderEvent,
  type WebhookRequest,
  type WebhookResult,
  type WebhookSecrets,
} from '../index.js';
import { createMeetingRegistry, threadIdFromJoinWebUrl } from './teams/meetings.js';
import { createNotificationEvents } from './teams/notification-events.js';
import { assertClientState, parseNotifications, validationReply, validationTokenOf } from './teams/notifications.js';
import { createSubscriptionClient, type CallRecordSubscription, type CallRecordSubscriptionRequest } from './teams/subscriptions.js';
import { GRAPH_DEFAULT_SCOPE, issueClientCredentialsToken, issueFromCredential, type GraphTokenCredential } from './teams/token.js';

export type { CallRecordSubscription, CallRecordSubscriptionRequest } from './teams/subscriptions.js';
export type { GraphTokenCredential } from './teams/token.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'teams';

/** Options for {@link teams}. Credentials are read on first use, from here or else the environment. */
export interface TeamsAdapterOptions extends AdapterHttpSettings {
  /** Directory (tenant) id of the force's Entra tenant. @default process.env.TEAMS_TENANT_ID */
  tenantId?: string;
  /** Application (client) id of the app registration. @default process.env.TEAMS_CLIENT_ID */
  clientId?: string;
  /** A client secret of the app registration. @default process.env.TEAMS_CLIENT_SECRET */
  clientSecret?: string;
  /**
   * A credential shaped like `@azure/identity`'s TokenCredential (managed identity, certificate…); when
   * given, it is used instead of tenantId/clientId/clientSecret.
   */
  credential?: GraphTokenCredential;
  /**
   * The shared secret given to Graph at subscribe time and checked on every notification (max 128
   * characters). During a rotation a list, newest first: notifications carrying any of them are accepted,
   * and new subscriptions get the first. @default process.env.TEAMS_CLIENT_STATE (commas separate several)
   */
  clientState?: WebhookSecrets;
  /**
   * Entra object ids of the ops devices' Teams users. Call records organised by anyone else in the tenant
   * are ignored without reading them further. Users this process created meetings for count as well.
   * @default []
   */
  deviceUserIds?: readonly string[];
  /** Identity platform root; point it at a fake or a national cloud. @default 'https://login.microsoftonline.com' */
  authorityUrl?: string;
  /** Graph root (paths below it start `/v1.0`). @default 'https://graph.microsoft.com' */
  graphUrl?: string;
  /** The scope tokens are asked for. @default 'https://graph.microsoft.com/.default' */
  scope?: string;
  /** The meeting's subject, seen by both sides; keep personal data out of it. @default 'Police officer verification call' */
  meetingSubject?: string;
  /** Refresh the access token this long before it expires. @default 60000 */
  refreshBeforeMs?: number;
  /**
   * Ask for the access token when the adapter is made, and again in the background before it lapses, so
   * a create is one round trip; a refused credential found that way marks the adapter unhealthy. @default true
   */
  keepTokenFresh?: boolean;
  /** Clock in epoch milliseconds, for token expiry, meeting times and health. @default Date.now */
  now?: () => number;
}

/** The Teams adapter: the CallAdapter contract plus management of the call-record subscription. */
export interface TeamsAdapter extends CallAdapter {
  /**
   * Subscribes to the tenant's call records (`POST /v1.0/subscriptions`) with the adapter's first (newest) clientState.
   * Graph validates `notificationUrl` before it answers, so the bridge's webhook must already be served.
   */
  subscribe(request: CallRecordSubscriptionRequest): Promise<CallRecordSubscription>;
  /** Pushes a subscription's expiry out again (`PATCH`); call it well before `expirationDateTime`. */
  renewSubscription(id: string, lifetimeMinutes?: number): Promise<CallRecordSubscription>;
  /** Deletes a subscription (`DELETE`); already gone counts as done. */
  deleteSubscription(id: string): Promise<void>;
}

const DEFAULT_AUTHORITY_URL = 'https://login.microsoftonline.com';
const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com';
const DEFAULT_SUBJECT = 'Police officer verification call';
// After the credential was refused, health() asks for a token again at most this often, so a fixed secret is noticed.
const CREDENTIAL_RECHECK_MS = 60_000;
// Meetings are remembered past their deletion until their call record arrives; this bounds the memory.
const REMEMBERED_MEETINGS = 10_000;
const ENTRA_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface GraphOnlineMeeting {
  id?: unknown;
  joinWebUrl?: unknown;
  creationDateTime?: unknown;
  startDateTime?: unknown;
  endDateTime?: unknown;
  chatInfo?: { threadId?: unknown } | null;
}

/**
 * Microsoft Teams (and `skype`, which Microsoft retired into Teams) through Microsoft Graph: an online
 * meeting per call under the ops device's user, whose joinWebUrl both sides open in the Teams app.
 * Graph sends nothing while a meeting runs, so the call's live states come from the ops-room operator's
 * attestation; after it ends, Graph's call record (announced by a change notification) gives the
 * start and end times, logged as provider evidence beside the operator's entries.
 */
export function teams(options: TeamsAdapterOptions = {}): TeamsAdapter {
  const now = options.now ?? Date.now;
  const scope = options.scope ?? GRAPH_DEFAULT_SCOPE;
  const graphUrl = options.graphUrl ?? DEFAULT_GRAPH_URL;
  const health = createHealthTracker({ now });
  const http = {
    provider: PROVIDER_NAME,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    maxRetryAfterMs: options.maxRetryAfterMs,
    sleep: options.sleep,
    now,
  };
  const identity = createProviderHttpClient({ ...http, baseUrl: options.authorityUrl ?? DEFAULT_AUTHORITY_URL, headers: () => ({}) });
  const issue = () =>
    options.credential
      ? issueFromCredential(options.credential, scope, now)
      : issueClientCredentialsToken(identity, {
          tenantId: required(options.tenantId, 'TEAMS_TENANT_ID', 'tenantId'),
          clientId: required(options.clientId, 'TEAMS_CLIENT_ID', 'clientId'),
          clientSecret: required(options.clientSecret, 'TEAMS_CLIENT_SECRET', 'clientSecret'),
          scope,
        });
  const tokens = createAccessTokenSource({
    provider: PROVIDER_NAME,
    issue,
    refreshBeforeMs: options.refreshBeforeMs,
    now,
    keepFresh: options.keepTokenFresh ?? true,
    onBackgroundOutcome: (error) => health.record(error),
  });
  const graph = createOAuthHttpClient({ ...http, baseUrl: graphUrl, tokens, health });
  const subscriptions = createSubscriptionClient(graph, now);
  const meetings = createMeetingRegistry(REMEMBERED_MEETINGS);
  let lastCredentialCheck = 0;

  const eventsFor = createNotificationEvents({ graph, graphUrl, meetings, deviceUserIds: options.deviceUserIds ?? [] });
  const meetingsPath = (userId: string) => `/v1.0/users/${encodeURIComponent(userId)}/onlineMeetings`;

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    aliases: ['skype'],
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      // A phone joins a Teams meeting through the Teams app; only desktop browsers join without it.
      access: 'app',
      // In `callback` the app sends the citizen the join link (by SMS); Graph cannot ring her.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'operator',
      recording: false,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      const userId = request.device.handle;
      if (!ENTRA_OBJECT_ID.test(userId)) {
        throw new BridgeError('INVALID_CONFIG', "teams: the ops device's handle must be its Teams user's Entra object id (a GUID)", { provider: PROVIDER_NAME });
      }
      const { data: meeting } = await graph.request<GraphOnlineMeeting>({
        method: 'POST',
        path: meetingsPath(userId),
        body: { startDateTime: formatInstant(now()), endDateTime: request.expiresAt, subject: options.meetingSubject ?? DEFAULT_SUBJECT },
      });
      if (typeof meeting?.id !== 'string' || typeof meeting.joinWebUrl !== 'string') throw unexpected('POST onlineMeetings returned no id or joinWebUrl');
      const chatThread = meeting.chatInfo?.threadId;
      const threadId = typeof chatThread === 'string' ? chatThread : threadIdFromJoinWebUrl(meeting.joinWebUrl);
      meetings.remember({ meetingId: meeting.id, userId, ...(threadId === undefined ? {} : { threadId }) });
      return {
        providerCallId: meeting.id,
        opsDevice: { url: meeting.joinWebUrl },
        otherSide: { url: meeting.joinWebUrl },
        ...(typeof meeting.creationDateTime === 'string' ? { providerCreatedAt: { value: meeting.creationDateTime } } : {}),
        evidence: {
          organizerUserId: userId,
          ...(threadId === undefined ? {} : { threadId }),
          ...(typeof meeting.endDateTime === 'string' ? { endDateTime: meeting.endDateTime } : {}),
          liveStatesFrom: 'operator',
          timingsFrom: 'graph-call-record',
        },
      };
    },

    async endCall(call) {
      const known = meetings.byMeetingId(call.providerCallId);
      if (!known) {
        throw new BridgeError('INVALID_INPUT', 'teams: this meeting was not created by this adapter instance, so its organizer is unknown; delete it in Teams', {
          provider: PROVIDER_NAME,
        });
      }
      try {
        await graph.request({ method: 'DELETE', path: `${meetingsPath(known.userId)}/${encodeURIComponent(known.meetingId)}` });
      } catch (error) {
        // Already deleted: the goal is reached.
        if (!BridgeError.hasCode(error, 'NOT_FOUND')) throw error;
      }
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookResult> {
      const validationToken = validationTokenOf(request.url);
      if (validationToken !== undefined) {
        if (validationToken.length === 0) throw webhookRefused(PROVIDER_NAME, 'malformed', 'the validation request has an empty validationToken');
        return { kind: 'reply', reply: validationReply(validationToken) };
      }
      const clientStates = acceptedClientStates(options);
      const notifications = parseNotifications(request.rawBody);
      assertClientState(notifications, clientStates);
      const events: ProviderEvent[] = [];
      const skipped: string[] = [];
      for (const notification of notifications) {
        const result = await eventsFor(notification);
        if (typeof result === 'string') skipped.push(result);
        else events.push(...result);
      }
      return events.length > 0 ? { kind: 'events', events } : { kind: 'ignored', reason: skipped.join('; ') };
    },

    ready: () => tokens.ready(),

    async health(): Promise<AdapterHealth> {
      const missing = missingSetting(options);
      if (missing) return { ok: false, reason: missing };
      const status = health.status();
      if (!status.credentialsInvalid || now() - lastCredentialCheck < CREDENTIAL_RECHECK_MS) return status;
      lastCredentialCheck = now();
      // A fresh source, so the check reaches the token endpoint; if Graph still refuses the token, the next request says so.
      try {
        await createAccessTokenSource({ provider: PROVIDER_NAME, issue, now }).token();
        health.record(undefined);
      } catch (error) {
        if (BridgeError.isInstance(error)) health.record(error);
      }
      return health.status();
    },

    subscribe: (request) => subscriptions.create(request, acceptedClientStates(options)[0]!),
    renewSubscription: (id, lifetimeMinutes) => subscriptions.renew(id, lifetimeMinutes),
    deleteSubscription: (id) => subscriptions.remove(id),
  };
}

export default teams;

function required(value: string | undefined, variable: string, option: string): string {
  const resolved = value ?? process.env[variable];
  if (resolved === undefined || resolved.length === 0) throw notConfigured(option, variable);
  return resolved;
}

// Read on every use, so a clientState added to the environment for a rotation counts without a restart.
function acceptedClientStates(options: TeamsAdapterOptions): string[] {
  return readWebhookSecrets(options.clientState, 'TEAMS_CLIENT_STATE', 'clientState', PROVIDER_NAME);
}

function notConfigured(option: string, variable: string): BridgeError {
  return new BridgeError('INVALID_CONFIG', `teams needs ${option} (or the ${variable} environment variable)`, { provider: PROVIDER_NAME });
}

// Without a way to get a token it cannot create a meeting; without clientState its Graph timings would be refused.
function missingSetting(options: TeamsAdapterOptions): string | undefined {
  const settings = [
    ...(options.credential
      ? []
      : ([
          [options.tenantId, 'TEAMS_TENANT_ID', 'tenantId'],
          [options.clientId, 'TEAMS_CLIENT_ID', 'clientId'],
          [options.clientSecret, 'TEAMS_CLIENT_SECRET', 'clientSecret (or credential)'],
        ] as const)),
    [options.clientState, 'TEAMS_CLIENT_STATE', 'clientState'],
  ] as const;
  for (const [value, variable, option] of settings) {
    if (!(value ?? process.env[variable])) return `teams is not configured: set ${option} or ${variable}`;
  }
  // Present, but perhaps an empty list or an empty secret.
  try {
    acceptedClientStates(options);
    return undefined;
  } catch (error) {
    return `teams is not configured: ${(error as BridgeError).message.replace(/^teams /, '')}`;
  }
}

function unexpected(message: string): BridgeError {
  return new BridgeError('PROVIDER_REJECTED', `teams: ${message}`, { provider: PROVIDER_NAME });
}
