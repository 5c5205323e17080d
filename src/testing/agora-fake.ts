import { randomBytes } from 'node:crypto';
import type { AgoraAdapterOptions } from '../adapters/agora.js';
import { agoraChannelUids, isAgoraChannelName } from '../adapters/agora/channel.js';
import { loadAgoraTokenLibrary, type AgoraRtcTokenBuilder } from '../adapters/agora/token-library.js';
import { createBanRules, type BanRule } from './agora/ban-rules.js';
import { createNotifier, type NotifierOptions } from './agora/notifier.js';
import { loadRtcTokenReader } from './agora/tokens.js';
import { startFakeServer, type Delivery, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import type { LifecycleStep, ProviderFake, Tamper } from './provider-fake.js';

export type { BanRule } from './agora/ban-rules.js';

/** Settings for {@link startAgoraFake}. */
export interface AgoraFakeOptions extends Pick<NotifierOptions, 'signatures' | 'resendDelaysMs'> {
  /** The project's App ID. @default 32 random hex characters */
  appId?: string;
  /** The project's App Certificate, which must sign every token shown to the fake. @default 32 random hex characters */
  appCertificate?: string;
  /** The Notifications secret the fake signs callbacks with. @default a random secret */
  webhookSecret?: string;
  /** RESTful API customer ID. @default a random id */
  customerId?: string;
  /** RESTful API customer secret. @default a random secret */
  customerSecret?: string;
  /**
   * Which join/leave events the simulated web clients cause: 107/108 (communication profile) or 103/104
   * (host). Which ones `agora-rtc-sdk-ng` in `rtc` mode triggers is UNCONFIRMED, so the adapter must take both.
   * @default 'communication'
   */
  userEvents?: 'communication' | 'host';
  /** The fake's clock in epoch milliseconds (token expiry, bans, `ts`, `notifyMs`). @default Date.now */
  now?: () => number;
  /** Delay before every REST answer. @default 0 */
  latencyMs?: number;
}

/** Why the fake refused a join, as Agora would. */
export class AgoraJoinRefused extends Error {
  constructor(
    /** `INVALID_TOKEN`, `TOKEN_EXPIRED`, `BANNED` or `INVALID_CHANNEL`. */
    readonly code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'BANNED' | 'INVALID_CHANNEL',
    message: string,
  ) {
    super(message);
    this.name = 'AgoraJoinRefused';
  }
}

/** A running Agora fake: the RESTful API, the media servers' admission check, and signed notifications. */
export interface AgoraFake extends ProviderFake {
  /** `http://127.0.0.1:<port>`, to pass as the adapter's `baseUrl`. */
  baseUrl: string;
  /** The App ID. */
  appId: string;
  /** The App Certificate. */
  appCertificate: string;
  /** The Notifications secret. */
  webhookSecret: string;
  /** RESTful API customer ID. */
  customerId: string;
  /** RESTful API customer secret. */
  customerSecret: string;
  /**
   * agora-token's real builder, which also hands each token to the fake's simulated clients, the way an
   * app hands it to a browser page; give it to the adapter as `tokenBuilder`.
   */
  tokenBuilder: AgoraRtcTokenBuilder;
  /** Everything an adapter needs to talk to this fake. */
  adapterOptions(): Required<Pick<AgoraAdapterOptions, 'appId' | 'appCertificate' | 'webhookSecret' | 'customerId' | 'customerSecret' | 'baseUrl' | 'tokenBuilder'>>;
  /** Every REST request received. */
  requests: RecordedRequest[];
  /** Makes the next matching REST requests fail. */
  injectFault(fault: Fault): void;
  /** Delays every REST answer by this many milliseconds. */
  setLatency(ms: number): void;
  /** A client joins with a token, checked as Agora checks it; throws {@link AgoraJoinRefused} when refused. */
  join(channel: string, token: string, uid: number, options?: { tamper?: Tamper }): Promise<Delivery[]>;
  /** A client leaves (reason 1 = quit, 2 = timeout, …); the channel is destroyed when it empties. */
  leave(channel: string, uid: number, options?: { reason?: number; tamper?: Tamper }): Promise<Delivery[]>;
  /** Uids in a channel now. */
  members(channel: string): number[];
  /** Ban rules created through the API. */
  rules(): BanRule[];
  /** Signs and sends any notification, e.g. one the SDK ignores. */
  send(eventType: number, payload: Record<string, unknown>, options?: { productId?: number; tamper?: Tamper }): Promise<Delivery[]>;
  /** Resolves when notifications the fake sent on its own (after a ban) have been delivered. */
  idle(): Promise<void>;
}

interface Member {
  /** Unix seconds. */
  joinedAt: number;
}

type Notification = [eventType: number, payload: Record<string, unknown>];

const JOIN_EVENT = { communication: 107, host: 103 } as const;
const LEAVE_EVENT = { communication: 108, host: 104 } as const;
const WEB_PLATFORM = 7;
const QUIT = 1;
const KICKED = 3;
const NEW_DEVICE = 5;

/** Starts a local fake of Agora (PROVIDERS.md §3) on a random port; needs agora-token installed. */
export async function startAgoraFake(options: AgoraFakeOptions = {}): Promise<AgoraFake> {
  const [library, readToken] = await Promise.all([loadAgoraTokenLibrary(), loadRtcTokenReader()]);
  const now = options.now ?? Date.now;
  const seconds = () => Math.floor(now() / 1000);
  const appId = options.appId ?? randomBytes(16).toString('hex');
  let appCertificate = options.appCertificate ?? randomBytes(16).toString('hex');
  const customerId = options.customerId ?? randomBytes(16).toString('hex');
  let customerSecret = options.customerSecret ?? randomBytes(16).toString('hex');
  const userEvents = options.userEvents ?? 'communication';
  const channels = new Map<string, Map<number, Member>>();
  const issued = new Map<string, Map<number, string>>();
  const pending = new Set<Promise<unknown>>();
  const notifier = createNotifier({
    webhookSecret: options.webhookSecret ?? randomBytes(24).toString('base64url'),
    signatures: options.signatures,
    resendDelaysMs: options.resendDelaysMs,
    now,
  });
  const bans = createBanRules({ appId, seconds, kick });
  let lastClientSeq = 0;

  const tokenBuilder: AgoraRtcTokenBuilder = {
    buildTokenWithUid(...args) {
      const token = library.RtcTokenBuilder.buildTokenWithUid(...args);
      const [, , channel, uid] = args;
      if (!issued.has(channel)) issued.set(channel, new Map());
      issued.get(channel)!.set(Number(uid), token);
      return token;
    },
  };

  function admissionProblem(channel: string, token: string, uid: number): AgoraJoinRefused | undefined {
    if (!isAgoraChannelName(channel)) return new AgoraJoinRefused('INVALID_CHANNEL', `${JSON.stringify(channel)} is not a valid channel name`);
    const grant = readToken(token, appCertificate);
    if ('problem' in grant) return new AgoraJoinRefused('INVALID_TOKEN', grant.problem);
    if (grant.appId !== appId) return new AgoraJoinRefused('INVALID_TOKEN', 'the token is for another App ID');
    if (grant.channel !== channel) return new AgoraJoinRefused('INVALID_TOKEN', `the token is for channel ${grant.channel}`);
    if (grant.uid !== 0 && grant.uid !== uid) return new AgoraJoinRefused('INVALID_TOKEN', `the token is for uid ${grant.uid}`);
    if (seconds() >= grant.joinExpiresAt) return new AgoraJoinRefused('TOKEN_EXPIRED', 'the token has expired');
    if (bans.isBanned(channel, uid)) return new AgoraJoinRefused('BANNED', `uid ${uid} is banned from ${channel}`);
    return undefined;
  }

  async function join(channel: string, token: string, uid: number, joinOptions: { tamper?: Tamper } = {}): Promise<Delivery[]> {
    const refusal = admissionProblem(channel, token, uid);
    if (refusal) throw refusal;
    return sendInOrder(arrive(channel, uid), joinOptions.tamper);
  }

  function leave(channel: string, uid: number, leaveOptions: { reason?: number; tamper?: Tamper } = {}): Promise<Delivery[]> {
    return sendInOrder(depart(channel, uid, leaveOptions.reason ?? QUIT), leaveOptions.tamper);
  }

  // Membership changes at once; what Agora then reports is sent afterwards, in order.
  function arrive(channel: string, uid: number): Notification[] {
    const notifications: Notification[] = [];
    let members = channels.get(channel);
    if (!members) {
      members = new Map();
      channels.set(channel, members);
      notifications.push([101, { channelName: channel, ts: seconds() }]);
    }
    // Agora lets one uid in once: a second device with the same uid pushes the first out (reason 5).
    const previous = members.get(uid);
    if (previous) notifications.push(leaveNotice(channel, uid, previous, NEW_DEVICE));
    const member = { joinedAt: seconds() };
    members.set(uid, member);
    const payload = { channelName: channel, uid, platform: WEB_PLATFORM, clientSeq: nextClientSeq(), ts: member.joinedAt, account: String(uid) };
    notifications.push([JOIN_EVENT[userEvents], payload]);
    return notifications;
  }

  function depart(channel: string, uid: number, reason: number): Notification[] {
    const members = channels.get(channel);
    const member = members?.get(uid);
    if (!members || !member) throw new Error(`uid ${uid} is not in ${channel}`);
    members.delete(uid);
    const notifications = [leaveNotice(channel, uid, member, reason)];
    if (members.size === 0) {
      channels.delete(channel);
      notifications.push([102, { channelName: channel, ts: seconds(), lastUid: uid }]);
    }
    return notifications;
  }

  function leaveNotice(channel: string, uid: number, member: Member, reason: number): Notification {
    const ts = seconds();
    return [LEAVE_EVENT[userEvents], { channelName: channel, uid, platform: WEB_PLATFORM, clientSeq: nextClientSeq(), reason, ts, duration: ts - member.joinedAt, account: String(uid) }];
  }

  async function sendInOrder(notifications: Notification[], tamper?: Tamper): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const [eventType, payload] of notifications) deliveries.push(...(await notifier.send(eventType, payload, { tamper })));
    return deliveries;
  }

  // A ban removes matching users at once; Agora reports them as leaving for "permission" (reason 3).
  function kick(matches: (channel: string, uid: number) => boolean): void {
    const notifications = [...channels].flatMap(([channel, members]) =>
      [...members.keys()].filter((uid) => matches(channel, uid)).flatMap((uid) => depart(channel, uid, KICKED)),
    );
    if (notifications.length === 0) return;
    const sent = sendInOrder(notifications).catch(() => undefined);
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  }

  function nextClientSeq(): number {
    lastClientSeq = Math.max(lastClientSeq + 1, now());
    return lastClientSeq;
  }

  function handle(request: RecordedRequest): FakeResponse {
    if (request.headers.authorization !== `Basic ${Buffer.from(`${customerId}:${customerSecret}`).toString('base64')}`) {
      return { status: 401, body: { message: 'Invalid authentication credentials' } };
    }
    if (request.path === '/dev/v1/kicking-rule' && request.method === 'POST') {
      if (!String(request.headers['content-type'] ?? '').includes('application/json')) return { status: 415, body: { message: 'Unsupported Media Type' } };
      return bans.create(request.body);
    }
    const users = /^\/dev\/v1\/channel\/user\/([^/]+)\/([^/]+)$/.exec(request.path);
    if (users && request.method === 'GET') return userList(decodeURIComponent(users[1]!), decodeURIComponent(users[2]!));
    const list = /^\/dev\/v1\/channel\/([^/]+)$/.exec(request.path);
    if (list && request.method === 'GET') return channelList(decodeURIComponent(list[1]!), request.query);
    return { status: 404, body: { message: `no route for ${request.method} ${request.path}` } };
  }

  function channelList(appid: string, query: URLSearchParams): FakeResponse {
    if (appid !== appId) return { status: 400, body: { message: 'invalid appid' } };
    const pageSize = Math.min(500, Math.max(1, Number(query.get('page_size') ?? 100)));
    const pageNo = Math.max(0, Number(query.get('page_no') ?? 0));
    const all = [...channels].map(([name, members]) => ({ channel_name: name, user_count: members.size }));
    return { status: 200, body: { success: true, data: { channels: all.slice(pageNo * pageSize, (pageNo + 1) * pageSize), total_size: all.length } } };
  }

  function userList(appid: string, channel: string): FakeResponse {
    if (appid !== appId) return { status: 400, body: { message: 'invalid appid' } };
    const members = channels.get(channel);
    if (!members) return { status: 200, body: { success: true, data: { channel_exist: false } } };
    const uids = [...members.keys()];
    const data = userEvents === 'communication' ? { mode: 1, total: uids.length, users: uids } : { mode: 2, broadcasters: uids, audience: [], audience_total: 0 };
    return { status: 200, body: { success: true, data: { channel_exist: true, ...data } } };
  }

  function tokenFor(channel: string, side: 'opsDevice' | 'otherSide'): [string, number] {
    const uid = agoraChannelUids(channel)[side];
    const token = issued.get(channel)?.get(uid);
    if (token === undefined) throw new Error(`no token was issued for the ${side} uid ${uid} of ${channel}`);
    return [token, uid];
  }

  const server = await startFakeServer(handle, {
    errorBody: (status) => ({ message: status === 429 ? 'Too Many Requests' : `injected ${status}` }),
    latencyMs: options.latencyMs,
  });

  return {
    baseUrl: server.origin,
    appId,
    get appCertificate() {
      return appCertificate;
    },
    webhookSecret: notifier.webhookSecret,
    customerId,
    get customerSecret() {
      return customerSecret;
    },
    tokenBuilder,
    adapterOptions() {
      return { appId, appCertificate, webhookSecret: notifier.webhookSecret, customerId, customerSecret, baseUrl: server.origin, tokenBuilder };
    },
    requests: server.requests,
    injectFault: server.injectFault,
    setLatency: server.setLatency,
    join,
    leave,
    members: (channel) => [...(channels.get(channel)?.keys() ?? [])],
    rules: bans.list,
    send: (eventType, payload, sendOptions) => notifier.send(eventType, payload, sendOptions),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    failNext(operation, fault) {
      if (operation === 'create') throw new Error('Agora has no create request to fail: tokens are minted locally and a channel exists once someone joins');
      server.injectFault({ ...fault, method: 'POST', path: /^\/dev\/v1\/kicking-rule$/ });
    },
    deliverWebhooksTo: notifier.deliverTo,
    revokeCredentials() {
      // As after the customer secret is deleted and the app certificate is replaced in Agora Console.
      customerSecret = randomBytes(16).toString('hex');
      appCertificate = randomBytes(16).toString('hex');
    },
    // Agora holds a channel while anyone is in it, or while a token issued for it would still be admitted.
    holdsCall(channel) {
      if ((channels.get(channel)?.size ?? 0) > 0) return true;
      return [...(issued.get(channel) ?? [])].some(([uid, token]) => admissionProblem(channel, token, uid) === undefined);
    },
    async play(step: LifecycleStep, channel: string, playOptions: { tamper?: Tamper } = {}): Promise<Delivery[]> {
      const { tamper } = playOptions;
      switch (step) {
        case 'ops-joined':
          return join(channel, ...tokenFor(channel, 'opsDevice'), { tamper });
        case 'other-joined':
          return join(channel, ...tokenFor(channel, 'otherSide'), { tamper });
        case 'ops-left':
          return leave(channel, agoraChannelUids(channel).opsDevice, { tamper });
        case 'other-left':
          return leave(channel, agoraChannelUids(channel).otherSide, { tamper });
        case 'call-ended': {
          // A channel ends when its last user leaves; whoever is still in hangs up now.
          const deliveries: Delivery[] = [];
          for (const uid of [...(channels.get(channel)?.keys() ?? [])]) deliveries.push(...(await leave(channel, uid, { tamper })));
          return deliveries;
        }
        case 'recording-ready':
          throw new Error('the Agora fake does not simulate Cloud Recording');
      }
    },
    replay: notifier.replay,
    async close() {
      await Promise.all([...pending]);
      await server.close();
    },
  };
}
