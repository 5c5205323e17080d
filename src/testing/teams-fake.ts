import { randomBytes, randomUUID } from 'node:crypto';
import { deliver, startFakeServer, type Delivery, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import type { LifecycleStep, ProviderFake, Tamper } from './provider-fake.js';
import { createCallRecordStore, type FakeCallRecord, type MeetingSide } from './teams/call-records.js';
import { graphError, graphErrorBody } from './teams/errors.js';
import { createAccessTokenBook } from './teams/identity.js';
import { createMeetingStore, graphDateTime, type FakeOnlineMeeting, type FakeTeamsUser } from './teams/meetings.js';
import { createSubscriptionStore, type FakeSubscription } from './teams/subscriptions.js';

export type { FakeCallRecord } from './teams/call-records.js';
export type { FakeOnlineMeeting, FakeTeamsUser } from './teams/meetings.js';
export type { FakeSubscription } from './teams/subscriptions.js';

/** Settings for {@link startTeamsFake}. */
export interface TeamsFakeOptions {
  /** The tenant id in the token endpoint's path. @default a random GUID */
  tenantId?: string;
  /** The app registration's client id. @default a random GUID */
  clientId?: string;
  /** The client secret the identity platform accepts. @default a random secret */
  clientSecret?: string;
  /** The clientState of the subscription the fake assumes the app made before `deliverWebhooksTo`. @default a random value */
  clientState?: string;
  /** The tenant's Teams users; the first is the ops device's. @default one user with a random id */
  users?: FakeTeamsUser[];
  /** Users the app's application access policy covers. @default every user */
  accessPolicyUserIds?: string[];
  /** Access token lifetime in seconds. @default 3599 */
  tokenLifetimeSeconds?: number;
  /** participants_v2 page size. @default 130 (Graph's maximum) */
  participantsPageSize?: number;
  /** How a guest appears in a call record's `identity` (PROVIDERS.md is silent). @default `{ guest: { id, displayName } }` */
  guestIdentity?: (participantId: string) => Record<string, unknown>;
  /** Longest subscription lifetime in minutes (not in PROVIDERS.md). @default 4230 */
  maxSubscriptionMinutes?: number;
  /** How long subscription validation waits for the echo. @default 10000 */
  validationTimeoutMs?: number;
  /** The fake's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
}

/** A running fake of the identity platform and Graph (PROVIDERS.md §4), plus the means to play a meeting. */
export interface TeamsFake extends ProviderFake {
  /** `http://127.0.0.1:<port>`: pass it as both `authorityUrl` and `graphUrl`. */
  origin: string;
  /** The tenant id. */
  tenantId: string;
  /** The app's client id. */
  clientId: string;
  /** The accepted client secret (until revoked). */
  clientSecret: string;
  /** The clientState used for notifications when the app made no subscription through the API. */
  clientState: string;
  /** The ops device user's Entra object id: the device handle. */
  userId: string;
  /** The `teams()` options that point an adapter at this fake with its credentials. */
  adapterOptions: { tenantId: string; clientId: string; clientSecret: string; clientState: string; authorityUrl: string; graphUrl: string };
  /** Every request received. */
  requests: RecordedRequest[];
  /** Makes the next matching requests fail, with Graph's error body unless one is given. */
  injectFault(fault: Fault): void;
  /** Delays every answer by this many milliseconds. */
  setLatency(ms: number): void;
  /** Meetings that exist now. */
  meetings(): FakeOnlineMeeting[];
  /** Every call record published. */
  callRecords(): FakeCallRecord[];
  /** Subscriptions made through the API that have not expired. */
  subscriptions(): FakeSubscription[];
  /** Every access token issued: secrets the log must never hold. */
  issuedTokens(): string[];
  /** Graph now refuses every token issued so far as expired; the token endpoint still issues new ones. */
  expireAccessTokens(): void;
  /** Graph revises a call record (its version rises) and notifies `updated`. */
  reviseCallRecord(recordId: string, options?: { tamper?: Tamper }): Promise<Delivery[]>;
}

const MEETINGS = /^\/v1\.0\/users\/([^/]+)\/onlineMeetings$/;
const MEETING = /^\/v1\.0\/users\/([^/]+)\/onlineMeetings\/([^/]+)$/;
const CALL_RECORD = /^\/v1\.0\/communications\/callRecords\/([^/]+)$/;
const CALL_RECORD_PARTICIPANTS = /^\/v1\.0\/communications\/callRecords\/([^/]+)\/participants_v2$/;
const SUBSCRIPTION = /^\/v1\.0\/subscriptions\/([^/]+)$/;
const TOKEN_ENDPOINT = /^\/[^/]+\/oauth2\/v2\.0\/token$/;

/**
 * Starts a local fake of the Microsoft identity platform's token endpoint and the Graph endpoints the
 * Teams adapter uses, on one random port. Graph sends nothing while a meeting runs: `play` records joins
 * and leaves into the call record being built and returns no deliveries until `call-ended`, which
 * publishes the record and sends the change notification to every subscription.
 */
export async function startTeamsFake(options: TeamsFakeOptions = {}): Promise<TeamsFake> {
  const now = options.now ?? Date.now;
  const tenantId = options.tenantId ?? randomUUID();
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? `fake~${randomBytes(24).toString('base64url')}`;
  const clientState = options.clientState ?? randomBytes(24).toString('base64url');
  let acceptedSecret = clientSecret;
  const users = options.users ?? [{ id: randomUUID(), displayName: 'SANDBOX Ops Device', userPrincipalName: 'ops-device@sandbox.example' }];
  if (users.length === 0) throw new Error('the Teams fake needs at least one user');
  let defaultTarget: string | undefined;
  let origin = '';

  const tokens = createAccessTokenBook({ tenantId, clientId, secret: () => acceptedSecret }, { lifetimeSeconds: options.tokenLifetimeSeconds ?? 3599, now });
  const meetings = createMeetingStore({ tenantId, users, accessPolicyUserIds: new Set(options.accessPolicyUserIds ?? users.map((u) => u.id)), now });
  const records = createCallRecordStore({
    tenantId,
    users,
    pageSize: options.participantsPageSize ?? 130,
    guestIdentity: options.guestIdentity ?? ((id) => ({ guest: { id, displayName: 'Guest' } })),
    now,
  });
  const subscriptions = createSubscriptionStore({
    applicationId: clientId,
    maxLifetimeMinutes: options.maxSubscriptionMinutes ?? 4230,
    validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
    now,
  });

  async function handle(request: RecordedRequest): Promise<FakeResponse> {
    if (TOKEN_ENDPOINT.test(request.path)) {
      return request.method === 'POST' ? tokens.tokenEndpoint(request) : graphError(405, 'The token endpoint takes POST only.');
    }
    if (!request.path.startsWith('/v1.0/')) return graphError(400, `Invalid version: ${request.path.split('/')[1] ?? ''}`);
    const refusal = tokens.refuse(request.headers.authorization);
    if (refusal) return refusal;
    const { method, path, query } = request;
    let match: RegExpExecArray | null;
    if ((match = MEETINGS.exec(path))) {
      if (method === 'POST') return meetings.create(decodeURIComponent(match[1]!), request.body, origin);
      if (method === 'GET') return meetings.findByJoinWebUrl(decodeURIComponent(match[1]!), query, origin);
    }
    if ((match = MEETING.exec(path)) && method === 'DELETE') return meetings.remove(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!));
    if ((match = CALL_RECORD.exec(path)) && method === 'GET') return records.get(decodeURIComponent(match[1]!), query, origin);
    if ((match = CALL_RECORD_PARTICIPANTS.exec(path)) && method === 'GET') return records.participantsPage(decodeURIComponent(match[1]!), query, origin);
    if (path === '/v1.0/subscriptions' && method === 'POST') return subscriptions.create(request.body, origin);
    if ((match = SUBSCRIPTION.exec(path))) {
      if (method === 'PATCH') return subscriptions.renew(decodeURIComponent(match[1]!), request.body, origin);
      if (method === 'DELETE') return subscriptions.remove(decodeURIComponent(match[1]!));
    }
    return graphError(400, `Resource not found for the segment in ${method} ${path}.`);
  }

  const server = await startFakeServer(handle, { errorBody: (status) => graphErrorBody(status, `injected ${status}`), latencyMs: options.latencyMs });
  origin = server.origin;

  // Subscriptions made through the API take over from the one assumed by deliverWebhooksTo.
  function targets(changeType: string): { url: string; subscriptionId: string; clientState?: string; expirationDateTime: string }[] {
    const made = subscriptions.active().filter((s) => s.changeType.includes(changeType));
    if (made.length > 0) {
      return made.map((s) => ({ url: s.notificationUrl, subscriptionId: s.id, expirationDateTime: s.expirationDateTime, ...(s.clientState ? { clientState: s.clientState } : {}) }));
    }
    if (defaultTarget === undefined) throw new Error('the Teams fake has nowhere to notify: call deliverWebhooksTo(url) or subscribe first');
    return [{ url: defaultTarget, subscriptionId: 'assumed-subscription', clientState, expirationDateTime: graphDateTime(now() + 86_400_000, '0000') }];
  }

  async function notify(record: FakeCallRecord, changeType: 'created' | 'updated', tamper?: Tamper): Promise<Delivery[]> {
    // Graph notifications carry no timestamp or signature, only clientState: nothing can be made stale.
    if (tamper === 'stale') throw new Error("Graph change notifications carry no timestamp, so the Teams fake cannot make one 'stale'");
    const deliveries: Delivery[] = [];
    for (const target of targets(changeType)) {
      const sentState = tamper === 'signature' ? randomBytes(24).toString('base64url') : target.clientState;
      const resource = `communications/callRecords/${record.id}`;
      const notification = {
        subscriptionId: target.subscriptionId,
        subscriptionExpirationDateTime: target.expirationDateTime,
        changeType,
        resource,
        resourceData: { '@odata.type': '#Microsoft.Graph.callrecord', '@odata.id': resource, id: record.id },
        ...(tamper === 'unsigned' || sentState === undefined ? {} : { clientState: sentState }),
        tenantId,
      };
      deliveries.push(await deliver(target.url, { 'content-type': 'application/json' }, JSON.stringify({ value: [notification] })));
    }
    return deliveries;
  }

  function meetingFor(meetingId: string): FakeOnlineMeeting {
    const meeting = meetings.ever(meetingId);
    if (!meeting) throw new Error(`the Teams fake never created meeting ${meetingId}`);
    return meeting;
  }

  const sides: Partial<Record<LifecycleStep, [MeetingSide, 'join' | 'leave']>> = {
    'ops-joined': ['ops', 'join'],
    'other-joined': ['other', 'join'],
    'other-left': ['other', 'leave'],
    'ops-left': ['ops', 'leave'],
  };

  return {
    origin,
    tenantId,
    clientId,
    clientSecret,
    clientState,
    userId: users[0]!.id,
    adapterOptions: { tenantId, clientId, clientSecret, clientState, authorityUrl: origin, graphUrl: origin },
    requests: server.requests,
    injectFault: server.injectFault,
    setLatency: server.setLatency,
    meetings: meetings.all,
    callRecords: records.all,
    subscriptions: subscriptions.active,
    issuedTokens: tokens.issued,
    expireAccessTokens: tokens.expireAll,
    async reviseCallRecord(recordId, reviseOptions = {}) {
      return notify(records.revise(recordId), 'updated', reviseOptions.tamper);
    },
    failNext(operation, fault) {
      server.injectFault(operation === 'create' ? { ...fault, method: 'POST', path: MEETINGS } : { ...fault, method: 'DELETE', path: MEETING });
    },
    revokeCredentials() {
      acceptedSecret = `revoked~${randomBytes(24).toString('base64url')}`;
      tokens.revokeAll();
    },
    holdsCall: (providerCallId) => meetings.live(providerCallId) !== undefined,
    deliverWebhooksTo(url) {
      defaultTarget = url;
    },
    async play(step, providerCallId, playOptions = {}) {
      const meeting = meetingFor(providerCallId);
      const side = sides[step];
      if (side) {
        if (side[1] === 'join') records.join(meeting, side[0]);
        else records.leave(meeting, side[0]);
        return [];
      }
      if (step === 'call-ended') return notify(records.end(meeting), 'created', playOptions.tamper);
      // Graph's call-record subscription says nothing about recordings; the adapter declares none.
      return [];
    },
    replay: (delivery) => deliver(delivery.sent.url, delivery.sent.headers, delivery.sent.body),
    close: server.close,
  };
}
