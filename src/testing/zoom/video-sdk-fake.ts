import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProviderFake } from '../provider-fake.js';

/** Settings for {@link startZoomVideoSdkFake}. */
export interface ZoomVideoSdkFakeOptions {
  /** The Video SDK key. @default a random key */
  sdkKey?: string;
  /** The Video SDK secret. @default a random secret */
  sdkSecret?: string;
  /** The fake's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** Who is in a fake Video SDK session. */
export interface FakeVideoSdkMember {
  /** The name given to `client.join`. */
  userName: string;
  /** 1 host, 0 participant, from the token. */
  roleType: 0 | 1;
}

/**
 * A stand-in for Zoom's Video SDK service, which sees a session only when a page calls
 * `client.join(topic, token, userName)`. It checks each token as PROVIDERS.md §1.6 describes, so tests
 * prove the adapter's tokens would be accepted; it has no REST API and sends no webhooks.
 */
export interface ZoomVideoSdkFake extends ProviderFake {
  /** The Video SDK key tokens must name. */
  sdkKey: string;
  /** The secret tokens must be signed with; a secret. */
  sdkSecret: string;
  /** What the page's `client.join` does: accepted, the member is in the session; refused, it throws with Zoom's reason. */
  join(topic: string, token: string, userName: string): FakeVideoSdkMember;
  /** The member leaves; the session ends with its last member. */
  leave(topic: string, userName: string): void;
  /** Members of a live session, by session name as Zoom compares it (case-insensitive). */
  members(topic: string): FakeVideoSdkMember[];
}

const LIFETIME = { min: 1800, max: 172_800 };
const NO_SERVER_EVENTS = 'the Zoom Video SDK fake has no REST API and sends no webhooks: this mode has no server-side events to play';

/** Starts the Video SDK stand-in; it runs in memory, with no server. */
export async function startZoomVideoSdkFake(options: ZoomVideoSdkFakeOptions = {}): Promise<ZoomVideoSdkFake> {
  const sdkKey = options.sdkKey ?? randomBytes(16).toString('base64url');
  const sdkSecret = options.sdkSecret ?? randomBytes(32).toString('base64url');
  let acceptedSecret = sdkSecret;
  const now = options.now ?? Date.now;
  const sessions = new Map<string, FakeVideoSdkMember[]>();

  function verify(topic: string, token: string): 0 | 1 {
    const [header, payload, signature, ...rest] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) throw refused('the token is not a JWT');
    const expected = createHmac('sha256', acceptedSecret).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused('the signature does not match the SDK secret');
    const head = decode(header);
    if (head.alg !== 'HS256' || head.typ !== 'JWT') throw refused('the header is not {"alg":"HS256","typ":"JWT"}');
    const claims = decode(payload);
    if (claims.app_key !== sdkKey) throw refused('app_key is not this SDK key');
    if (typeof claims.tpc !== 'string' || claims.tpc.length === 0 || claims.tpc.length > 200) throw refused('tpc must be 1 to 200 characters');
    if (claims.tpc.toLowerCase() !== topic.toLowerCase()) throw refused('tpc is not the topic given to join');
    if (claims.role_type !== 0 && claims.role_type !== 1) throw refused('role_type must be 0 or 1');
    if (claims.version !== 1) throw refused('version must be 1');
    if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp)) throw refused('iat and exp must be whole epoch seconds');
    const lifetime = (claims.exp as number) - (claims.iat as number);
    if (lifetime < LIFETIME.min || lifetime > LIFETIME.max) throw refused('exp must be 30 minutes to 48 hours after iat');
    if ((claims.exp as number) * 1000 <= now()) throw refused('the token has expired');
    return claims.role_type;
  }

  return {
    sdkKey,
    sdkSecret,
    join(topic, token, userName) {
      const member = { userName, roleType: verify(topic, token) };
      const key = topic.toLowerCase();
      sessions.set(key, [...(sessions.get(key) ?? []), member]);
      return member;
    },
    leave(topic, userName) {
      const key = topic.toLowerCase();
      const left = (sessions.get(key) ?? []).filter((member) => member.userName !== userName);
      if (left.length > 0) sessions.set(key, left);
      else sessions.delete(key);
    },
    members: (topic) => [...(sessions.get(topic.toLowerCase()) ?? [])],
    holdsCall: (topic) => sessions.has(topic.toLowerCase()),
    revokeCredentials() {
      // As after the SDK secret is regenerated in the Marketplace: tokens signed with the old one fail.
      acceptedSecret = randomBytes(32).toString('base64url');
    },
    deliverWebhooksTo() {
      // Nothing to deliver: the conformance kit calls this for every fake.
    },
    play: async () => {
      throw new Error(NO_SERVER_EVENTS);
    },
    replay: async () => {
      throw new Error(NO_SERVER_EVENTS);
    },
    failNext() {
      throw new Error(NO_SERVER_EVENTS);
    },
    close: async () => undefined,
  };
}

function decode(part: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw refused(`a token part is not base64url JSON (${String(error)})`);
  }
}

function refused(reason: string): Error {
  return new Error(`Zoom Video SDK join refused: ${reason}`);
}
