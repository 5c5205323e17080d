import { randomBytes } from 'node:crypto';
import { deliver, startFakeServer, type Delivery, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import type { LifecycleStep, ProviderFake, Tamper } from './provider-fake.js';
import { createZoomFakeMeetings, zoomError, type FakeZoomMeeting, type FakeZoomUser, type ZoomIdleEndAnswer } from './zoom/fake-meetings.js';
import { createZoomFakeOAuth, type ZoomCredentialRefusal } from './zoom/fake-oauth.js';
import { ZOOM_RATE_LIMIT_MESSAGES, type ZoomRateLimitHeaders } from './zoom/fake-rate-limits.js';
import { createZoomParticipants } from './zoom/fake-participants.js';
import { createZoomWebhookSender, type ZoomUrlValidation } from './zoom/fake-webhooks.js';

export { zoomRateLimitFault, zoomRateLimitResponse, type ZoomFakeRateLimit, type ZoomRateLimitHeaders } from './zoom/fake-rate-limits.js';
export type { FakeZoomMeeting, FakeZoomParticipant, FakeZoomUser, ZoomIdleEndAnswer } from './zoom/fake-meetings.js';
export type { ZoomCredentialRefusal } from './zoom/fake-oauth.js';
export type { ZoomUrlValidation } from './zoom/fake-webhooks.js';
export * from './zoom/video-sdk-fake.js';

/** Settings for {@link startZoomFake}. */
export interface ZoomFakeOptions {
  /** The S2S OAuth app's account id. @default a random id */
  accountId?: string;
  /** The app's client id. @default a random id */
  clientId?: string;
  /** The app's client secret. @default a random secret */
  clientSecret?: string;
  /** The Webhook Secret Token that signs events. @default a random token */
  webhookSecretToken?: string;
  /** The ops device's Zoom user. @default a random id and `ops-device@vcb-sandbox.invalid` */
  host?: Partial<FakeZoomUser>;
  /** How the token endpoint refuses a wrong or revoked client (UNCONFIRMED). @default 400 `invalid_client` */
  credentialRefusal?: ZoomCredentialRefusal;
  /** `expires_in` of access tokens. @default 3600 */
  tokenLifetimeSeconds?: number;
  /** Meeting creations a user may make per UTC day. @default 100 */
  createLimitPerUserPerDay?: number;
  /** Which headers come with a 429 (PARTLY UNCONFIRMED). @default 'all' */
  rateLimitHeaders?: ZoomRateLimitHeaders;
  /**
   * The answer to `PUT /meetings/{id}/status` `{"action":"end"}` for a meeting never started or already
   * ended; PROVIDERS.md is silent on it. @default 'no-content' (204)
   */
  idleEndAnswer?: ZoomIdleEndAnswer;
  /**
   * Whether ending a live meeting through the API sends participant_left and meeting.ended webhooks, as
   * Zoom does when a meeting ends; off by default because they arrive while the adapter is still ending
   * it. Await `settled()` after an end when on. @default false
   */
  webhooksOnApiEnd?: boolean;
  /** Origin of join and start URLs. @default 'https://zoom.us' */
  joinOrigin?: string;
  /** The fake's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
}

/** A running Zoom fake: its OAuth endpoint and meetings API, plus the means to play a meeting's webhooks. */
export interface ZoomFake extends ProviderFake {
  /** `http://127.0.0.1:<port>/v2`, the adapter's `baseUrl`. */
  baseUrl: string;
  /** `http://127.0.0.1:<port>`, the adapter's `oauthBaseUrl`. */
  oauthBaseUrl: string;
  /** The S2S OAuth app's account id the token endpoint accepts. */
  accountId: string;
  /** The app's client id. */
  clientId: string;
  /** The app's client secret; a secret. */
  clientSecret: string;
  /** The Webhook Secret Token the fake signs with; a secret. */
  webhookSecretToken: string;
  /** The ops device's Zoom user. */
  host: FakeZoomUser;
  /** Every request received, token requests included. */
  requests: RecordedRequest[];
  /** Makes the next matching requests fail. */
  injectFault(fault: Fault): void;
  /** Delays every answer by this many milliseconds. */
  setLatency(ms: number): void;
  /** Meetings that exist now. */
  meetings(): FakeZoomMeeting[];
  /** Access tokens issued so far. */
  tokensIssued(): number;
  /** Makes every access token issued so far lapse now, before its hour is up. */
  expireAccessTokens(): void;
  /** Signs and sends any Zoom event, e.g. one this SDK ignores. */
  send(event: string, object: Record<string, unknown>, options?: { tamper?: Tamper; extras?: Record<string, unknown> }): Promise<Delivery>;
  /** Sends Zoom's `endpoint.url_validation` challenge and judges the answer. */
  validateEndpoint(): Promise<ZoomUrlValidation>;
  /** Waits for webhooks the fake sent on its own (after an API end), and returns them. */
  settled(): Promise<Delivery[]>;
}

/** Starts a local fake of Zoom's S2S OAuth, meetings API and webhooks (PROVIDERS.md §1) on a random port. */
export async function startZoomFake(options: ZoomFakeOptions = {}): Promise<ZoomFake> {
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? randomBytes(11).toString('base64url');
  const clientId = options.clientId ?? randomBytes(11).toString('base64url');
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const webhookSecretToken = options.webhookSecretToken ?? randomBytes(16).toString('base64url');
  const host: FakeZoomUser = { id: options.host?.id ?? randomBytes(16).toString('base64url'), email: options.host?.email ?? 'ops-device@vcb-sandbox.invalid' };
  const webhooks = createZoomWebhookSender({ accountId, webhookSecretToken, now });
  const participants = createZoomParticipants({ webhooks, now });
  const pending: Promise<Delivery[]>[] = [];
  const meetingsApi = createZoomFakeMeetings({
    host,
    createLimitPerUserPerDay: options.createLimitPerUserPerDay ?? 100,
    rateLimitHeaders: options.rateLimitHeaders ?? 'all',
    idleEndAnswer: options.idleEndAnswer ?? 'no-content',
    joinOrigin: options.joinOrigin ?? 'https://zoom.us',
    now,
    onApiEnd(meeting, stillPresent) {
      if (!options.webhooksOnApiEnd) return;
      // After the answer has gone: Zoom's webhooks do not hold up its API.
      pending.push(new Promise((resolve) => setImmediate(resolve)).then(() => participants.announceEnd(meeting, stillPresent)));
    },
  });
  let origin = '';
  const oauth = createZoomFakeOAuth({
    accountId,
    clientId,
    clientSecret,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    apiUrl: () => origin,
    refusal: options.credentialRefusal ?? { status: 400, body: { reason: 'Invalid client_id or client_secret', error: 'invalid_client' } },
    now,
  });

  function handle(request: RecordedRequest): FakeResponse {
    if (request.path === '/oauth/token') return oauth.issue(request);
    if (!request.path.startsWith('/v2/')) return zoomError(404, 404, `No such API: ${request.path}`);
    return oauth.refuseBearer(request) ?? meetingsApi.handle(request);
  }

  const server = await startFakeServer(handle, { errorBody: errorBodyFor, latencyMs: options.latencyMs });
  origin = server.origin;
  const meetingOf = (providerCallId: string): FakeZoomMeeting => {
    const meeting = meetingsApi.meetings.get(Number(providerCallId));
    if (!meeting) throw new Error(`the Zoom fake holds no meeting ${providerCallId}`);
    return meeting;
  };

  return {
    baseUrl: `${server.origin}/v2`,
    oauthBaseUrl: server.origin,
    accountId,
    clientId,
    clientSecret,
    webhookSecretToken,
    host,
    requests: server.requests,
    injectFault: server.injectFault,
    setLatency: server.setLatency,
    meetings: () => [...meetingsApi.meetings.values()],
    tokensIssued: () => oauth.issued(),
    expireAccessTokens: () => oauth.expireTokens(),
    revokeCredentials: () => oauth.revoke(),
    holdsCall: (providerCallId) => meetingsApi.meetings.has(Number(providerCallId)),
    failNext(operation, fault) {
      server.injectFault(
        operation === 'create'
          ? { ...fault, method: 'POST', path: /^\/v2\/users\/[^/]+\/meetings$/ }
          : { ...fault, method: 'PUT', path: /^\/v2\/meetings\/[^/]+\/status$/ },
      );
    },
    deliverWebhooksTo: (url) => webhooks.deliverTo(url),
    send: (event, object, sendOptions) => webhooks.send(event, object, sendOptions),
    validateEndpoint: () => webhooks.validateEndpoint(),
    async settled() {
      const settled = await Promise.allSettled(pending.splice(0));
      return settled.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    },
    play(step: LifecycleStep, providerCallId: string, playOptions: { tamper?: Tamper } = {}) {
      return participants.play(step, meetingOf(providerCallId), playOptions.tamper);
    },
    replay: (delivery) => deliver(delivery.sent.url, delivery.sent.headers, delivery.sent.body),
    async close() {
      await Promise.allSettled(pending.splice(0));
      await server.close();
    },
  };
}

// Zoom's `{code, message}` bodies for injected faults; the 5xx body is not documented.
function errorBodyFor(status: number): unknown {
  if (status === 401) return { code: 124, message: 'Invalid access token.' };
  if (status === 404) return { code: 3001, message: 'Meeting does not exist.' };
  if (status === 429) return { code: 429, message: ZOOM_RATE_LIMIT_MESSAGES['per-second'] };
  return { code: status, message: status >= 500 ? 'Internal Server Error' : 'Bad Request' };
}
