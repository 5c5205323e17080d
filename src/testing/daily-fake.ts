import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { DailyJoinRefused, readDailyMeetingToken, signDailyJwt } from './daily/meeting-tokens.js';
import { deliver, startFakeServer, type Delivery, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import type { LifecycleStep, ProviderFake, Tamper } from './provider-fake.js';

export { DailyJoinRefused, type DailyJoinRefusalCode } from './daily/meeting-tokens.js';

/** Settings for {@link startDailyFake}. */
export interface DailyFakeOptions {
  /** The API key the fake accepts. @default a random key */
  apiKey?: string;
  /** The webhook `hmac` secret (base64) it signs with. @default 32 random bytes */
  webhookSecret?: string;
  /** Subdomain in room URLs (`https://<domain>.daily.co/<room>`). @default 'vcb-sandbox' */
  domain?: string;
  /** The domain's `domain_id`, which every meeting token must carry. @default a random UUID */
  domainId?: string;
  /** Unit of `X-Webhook-Timestamp`, which Daily's docs leave UNCONFIRMED. @default 'seconds' */
  webhookTimestampUnit?: 'seconds' | 'milliseconds';
  /** The fake's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
}

/** A room as the fake holds it. */
export interface FakeDailyRoom {
  id: string;
  name: string;
  privacy: 'public' | 'private';
  url: string;
  created_at: string;
  config: Record<string, unknown>;
}

/** A running Daily fake: its REST API plus the means to play a call's webhooks. */
export interface DailyFake extends ProviderFake {
  /** `http://127.0.0.1:<port>/v1`, to pass as the adapter's `baseUrl`. */
  baseUrl: string;
  /** The accepted API key. */
  apiKey: string;
  /** The domain's `domain_id`, as `GET /v1/` answers it. */
  domainId: string;
  /** The webhook signing secret (base64) the fake signs with now. */
  readonly webhookSecret: string;
  /** As after the webhook's `hmac` is changed at Daily: from now on deliveries are signed with `secret`, which is returned. */
  rotateWebhookSecret(secret?: string): string;
  /** Every API request received. */
  requests: RecordedRequest[];
  /** Makes the next matching API requests fail. */
  injectFault(fault: Fault): void;
  /** Rooms that exist now. */
  rooms(): FakeDailyRoom[];
  /** Delays every answer by this many milliseconds. */
  setLatency(ms: number): void;
  /**
   * Someone opens a room with a meeting token, as daily-js would: the token is checked as Daily checks
   * it (signed with the active API key, this domain, this room, not expired), then the holder joins and
   * the webhooks that produces are sent. Throws {@link DailyJoinRefused} when Daily would refuse.
   */
  joinWithToken(room: string, token: string, options?: { tamper?: Tamper }): Promise<Delivery[]>;
  /** Signs and sends any Daily event, e.g. one this SDK ignores. */
  send(type: string, payload: Record<string, unknown>, options?: { tamper?: Tamper }): Promise<Delivery>;
}

// Room properties and token properties Daily documents (PROVIDERS.md §2.1-2.2); Daily rejects others.
const ROOM_PROPERTIES = new Set([
  'exp', 'nbf', 'max_participants', 'enable_recording', 'enable_chat', 'enable_screenshare', 'start_video_off',
  'start_audio_off', 'enable_knocking', 'eject_at_room_exp', 'eject_after_elapsed', 'geo', 'lang', 'permissions',
]);
const TOKEN_PROPERTIES = new Set([
  'room_name', 'exp', 'nbf', 'is_owner', 'user_name', 'user_id', 'eject_at_token_exp', 'eject_after_elapsed',
  'enable_screenshare', 'start_video_off', 'start_audio_off', 'enable_recording', 'start_cloud_recording', 'permissions',
]);
// Error names from Daily's REST API reference; 429 and 5xx bodies are not documented there.
const ERROR_NAMES: Record<number, string> = {
  400: 'invalid-request-error',
  401: 'authentication-error',
  404: 'not-found',
  429: 'rate-limit-error',
};
const ROOM_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const EVENT_ID_PREFIX: Record<string, string> = {
  'meeting.started': 'met-sta',
  'meeting.ended': 'met-end',
  'participant.joined': 'par-joi',
  'participant.left': 'par-lef',
  'recording.ready-to-download': 'rec-rea',
};

interface Participant {
  session_id: string;
  user_id: string;
  user_name: string;
  owner: boolean;
  joined_at: number;
}

interface Meeting {
  meeting_id: string;
  start_ts: number;
  participants: Map<string, Participant>;
}

/** Starts a local fake of Daily's REST API (PROVIDERS.md §2) on a random port. */
export async function startDailyFake(options: DailyFakeOptions = {}): Promise<DailyFake> {
  const apiKey = options.apiKey ?? `fake-daily-${randomBytes(12).toString('hex')}`;
  let acceptedKey = apiKey;
  let webhookSecret = options.webhookSecret ?? randomBytes(32).toString('base64');
  const domain = options.domain ?? 'vcb-sandbox';
  const domainId = options.domainId ?? randomUUID();
  const now = options.now ?? Date.now;
  const rooms = new Map<string, FakeDailyRoom>();
  const tokens = new Map<string, { owner: boolean; user_id: string; user_name: string }[]>();
  const meetings = new Map<string, Meeting>();
  let webhookUrl: string | undefined;

  const seconds = () => Math.floor(now() / 1000);
  const liveRoom = (name: string) => {
    const room = rooms.get(name);
    const exp = room?.config.exp;
    return room && (typeof exp !== 'number' || exp > seconds()) ? room : undefined;
  };

  function handle(request: RecordedRequest): FakeResponse {
    const auth = request.headers.authorization;
    if (auth === undefined) return error(400, 'authorization-header-error', 'missing Authorization header');
    if (auth !== `Bearer ${acceptedKey}`) return error(401, 'authentication-error', 'bad API key');
    const roomPath = /^\/v1\/rooms\/([^/]+)$/.exec(request.path);
    if (request.method === 'GET' && (request.path === '/v1/' || request.path === '/v1')) {
      return { status: 200, body: { domain_name: domain, domain_id: domainId, config: {} } };
    }
    if (request.method === 'POST' && request.path === '/v1/rooms') return createRoom(request.body);
    if (request.method === 'GET' && request.path === '/v1/rooms') return listRooms(request.query);
    if (request.method === 'POST' && request.path === '/v1/meeting-tokens') return createToken(request.body);
    if (roomPath && request.method === 'GET') {
      const room = liveRoom(decodeURIComponent(roomPath[1]!));
      return room ? { status: 200, body: room } : error(404, 'not-found', `room ${roomPath[1]} was not found`);
    }
    if (roomPath && request.method === 'DELETE') return deleteRoom(decodeURIComponent(roomPath[1]!));
    return error(404, 'not-found', `no route for ${request.method} ${request.path}`);
  }

  function createRoom(body: unknown): FakeResponse {
    const input = (body ?? {}) as Record<string, unknown>;
    const unknownField = Object.keys(input).find((key) => !['name', 'privacy', 'properties'].includes(key));
    if (unknownField) return error(400, 'invalid-request-error', `unknown field ${unknownField}`);
    const name = input.name === undefined ? randomBytes(10).toString('hex') : input.name;
    if (typeof name !== 'string' || !ROOM_NAME.test(name)) return error(400, 'invalid-request-error', 'invalid room name');
    if (liveRoom(name)) return error(400, 'invalid-request-error', `a room named ${name} already exists`);
    const privacy = input.privacy ?? 'public';
    if (privacy !== 'public' && privacy !== 'private') return error(400, 'invalid-request-error', 'privacy must be public or private');
    const properties = (input.properties ?? {}) as Record<string, unknown>;
    const badProperty = Object.keys(properties).find((key) => !ROOM_PROPERTIES.has(key));
    if (badProperty) return error(400, 'invalid-request-error', `unknown room property ${badProperty}`);
    const problem = timeProblem(properties, 'exp') ?? timeProblem(properties, 'nbf');
    if (problem) return error(400, 'invalid-request-error', problem);
    const room: FakeDailyRoom = {
      id: randomUUID(),
      name,
      privacy,
      url: `https://${domain}.daily.co/${name}`,
      created_at: new Date(now()).toISOString(),
      config: { ...properties },
    };
    rooms.set(name, room);
    return { status: 200, body: { ...room, api_created: true } };
  }

  function listRooms(query: URLSearchParams): FakeResponse {
    const limit = Number(query.get('limit') ?? 100);
    const data = [...rooms.values()].filter((room) => liveRoom(room.name)).slice(0, limit);
    return { status: 200, body: { total_count: data.length, data } };
  }

  function deleteRoom(name: string): FakeResponse {
    const room = rooms.get(name);
    if (!room) return error(404, 'not-found', `room ${name} was not found`);
    rooms.delete(name);
    meetings.delete(name);
    // Daily answers an already-expired room with a 404 that still says it is deleted.
    if (typeof room.config.exp === 'number' && room.config.exp <= seconds()) {
      return { status: 404, body: { error: 'not-found', info: `room ${name} has expired`, deleted: true } };
    }
    return { status: 200, body: { deleted: true, name } };
  }

  function createToken(body: unknown): FakeResponse {
    const properties = ((body ?? {}) as { properties?: Record<string, unknown> }).properties;
    if (typeof properties !== 'object' || properties === null) return error(400, 'invalid-request-error', 'properties is required');
    const badProperty = Object.keys(properties).find((key) => !TOKEN_PROPERTIES.has(key));
    if (badProperty) return error(400, 'invalid-request-error', `unknown token property ${badProperty}`);
    const room = properties.room_name;
    if (typeof room !== 'string') return error(400, 'invalid-request-error', 'room_name is required by this fake');
    const problem = timeProblem(properties, 'exp');
    if (problem) return error(400, 'invalid-request-error', problem);
    const holder = {
      owner: properties.is_owner === true,
      user_id: String(properties.user_id ?? randomUUID()),
      user_name: String(properties.user_name ?? 'guest'),
    };
    tokens.set(room, [...(tokens.get(room) ?? []), holder]);
    const claims = { r: room, o: holder.owner, ud: holder.user_id, u: holder.user_name, exp: properties.exp, iat: seconds(), d: domainId };
    return { status: 200, body: { token: signDailyJwt(claims, acceptedKey) } };
  }

  // Daily's times are Unix seconds; a millisecond value here is the commonest unit mistake.
  function timeProblem(properties: Record<string, unknown>, field: string): string | undefined {
    const value = properties[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return `${field} must be whole Unix seconds`;
    return value > 1e11 ? `${field} looks like milliseconds; Daily wants seconds` : undefined;
  }

  const server = await startFakeServer(handle, {
    errorBody: (status) => ({ error: ERROR_NAMES[status] ?? (status >= 500 ? 'server-error' : 'invalid-request-error'), info: `injected ${status}` }),
    latencyMs: options.latencyMs,
  });

  async function send(type: string, payload: Record<string, unknown>, sendOptions: { tamper?: Tamper } = {}): Promise<Delivery> {
    if (webhookUrl === undefined) throw new Error('the Daily fake has no webhook URL: call deliverWebhooksTo(url) first');
    const id = `${EVENT_ID_PREFIX[type] ?? 'evt'}-${randomUUID()}`;
    const body = JSON.stringify({ version: '1.0.0', type, id, payload, event_ts: now() / 1000 });
    const sentAt = sendOptions.tamper === 'stale' ? now() - 600_000 : now();
    const timestamp = options.webhookTimestampUnit === 'milliseconds' ? String(sentAt) : String(Math.floor(sentAt / 1000));
    const key = sendOptions.tamper === 'signature' ? randomBytes(32).toString('base64') : webhookSecret;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (sendOptions.tamper !== 'unsigned') {
      headers['x-webhook-signature'] = dailySignature(key, timestamp, body);
      headers['x-webhook-timestamp'] = timestamp;
    }
    return deliver(webhookUrl, headers, body);
  }

  function meetingOf(room: string): Meeting | undefined {
    return meetings.get(room);
  }

  // A holder named by an earlier token for this room, as the person who opened it with that token.
  function join(room: string, owner: boolean, tamper?: Tamper): Promise<Delivery[]> {
    const holder = (tokens.get(room) ?? []).find((t) => t.owner === owner) ?? { owner, user_id: randomUUID(), user_name: 'guest' };
    return enter(room, holder, tamper);
  }

  async function joinWithToken(room: string, token: string, joinOptions: { tamper?: Tamper } = {}): Promise<Delivery[]> {
    const holder = readDailyMeetingToken(token, { apiKey: acceptedKey, domainId, seconds: seconds() });
    if (holder.room !== room) throw new DailyJoinRefused('WRONG_ROOM', `the meeting token is for room ${holder.room}, not ${room}`);
    if (!liveRoom(room)) throw new DailyJoinRefused('NO_SUCH_ROOM', `room ${room} does not exist or has expired`);
    const entrant = { owner: holder.owner, user_id: holder.userId ?? randomUUID(), user_name: holder.userName ?? 'guest' };
    tokens.set(room, [...(tokens.get(room) ?? []), entrant]);
    return enter(room, entrant, joinOptions.tamper);
  }

  async function enter(room: string, holder: { owner: boolean; user_id: string; user_name: string }, tamper?: Tamper): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    let meeting = meetingOf(room);
    if (!meeting) {
      meeting = { meeting_id: randomUUID(), start_ts: seconds(), participants: new Map() };
      meetings.set(room, meeting);
      deliveries.push(await send('meeting.started', { room, meeting_id: meeting.meeting_id, start_ts: meeting.start_ts }, { tamper }));
    }
    const participant: Participant = { session_id: randomUUID(), ...holder, joined_at: seconds() };
    meeting.participants.set(participant.session_id, participant);
    deliveries.push(await send('participant.joined', { room, ...participant, will_eject_at: null, permissions: {} }, { tamper }));
    return deliveries;
  }

  async function leave(room: string, owner: boolean, tamper?: Tamper): Promise<Delivery[]> {
    const meeting = meetingOf(room);
    const participant = meeting && [...meeting.participants.values()].find((p) => p.owner === owner);
    if (!meeting || !participant) throw new Error(`nobody with owner=${owner} is in ${room}`);
    meeting.participants.delete(participant.session_id);
    const duration = seconds() - participant.joined_at;
    return [await send('participant.left', { room, ...participant, duration, will_eject_at: null, permissions: {} }, { tamper })];
  }

  return {
    baseUrl: `${server.origin}/v1`,
    apiKey,
    domainId,
    get webhookSecret() {
      return webhookSecret;
    },
    rotateWebhookSecret(secret = randomBytes(32).toString('base64')) {
      webhookSecret = secret;
      return secret;
    },
    requests: server.requests,
    rooms: () => [...rooms.values()].filter((room) => liveRoom(room.name)),
    setLatency: server.setLatency,
    injectFault: server.injectFault,
    failNext(operation, fault) {
      server.injectFault(operation === 'create' ? { ...fault, method: 'POST', path: /^\/v1\/rooms$/ } : { ...fault, method: 'DELETE', path: /^\/v1\/rooms\// });
    },
    send,
    joinWithToken,
    deliverWebhooksTo(url) {
      webhookUrl = url;
    },
    revokeCredentials() {
      acceptedKey = `revoked-${randomBytes(12).toString('hex')}`;
    },
    holdsCall: (providerCallId) => liveRoom(providerCallId) !== undefined,
    async play(step: LifecycleStep, room: string, playOptions: { tamper?: Tamper } = {}): Promise<Delivery[]> {
      const { tamper } = playOptions;
      switch (step) {
        case 'ops-joined':
          return join(room, true, tamper);
        case 'other-joined':
          return join(room, false, tamper);
        case 'ops-left':
          return leave(room, true, tamper);
        case 'other-left':
          return leave(room, false, tamper);
        case 'call-ended': {
          const meeting = meetingOf(room);
          meetings.delete(room);
          const start_ts = meeting?.start_ts ?? seconds();
          return [await send('meeting.ended', { room, meeting_id: meeting?.meeting_id ?? randomUUID(), start_ts, end_ts: seconds() }, { tamper })];
        }
        case 'recording-ready': {
          const start_ts = meetingOf(room)?.start_ts ?? seconds();
          const payload = {
            type: 'cloud', recording_id: randomUUID(), room_name: room, start_ts, status: 'finished',
            max_participants: 2, duration: Math.max(1, seconds() - start_ts), s3_key: `${domain}/${room}/${start_ts}`,
          };
          return [await send('recording.ready-to-download', payload, { tamper })];
        }
      }
    },
    replay: (delivery) => deliver(delivery.sent.url, delivery.sent.headers, delivery.sent.body),
    close: server.close,
  };
}

function error(status: number, code: string, info: string): FakeResponse {
  return { status, body: { error: code, info } };
}

// The fake's own rendering of Daily's scheme (PROVIDERS.md §2.3), so the adapter's verifier is checked against it.
function dailySignature(secretBase64: string, timestamp: string, body: string): string {
  return createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(`${timestamp}.${body}`).digest('base64');
}
