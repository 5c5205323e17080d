import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why the Daily fake refuses a meeting token at the door; Daily's own error names for these are UNCONFIRMED. */
export type DailyJoinRefusalCode = 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'WRONG_ROOM' | 'NO_SUCH_ROOM';

/** Thrown by the Daily fake's `joinWithToken` when Daily would not let the holder in. */
export class DailyJoinRefused extends Error {
  /** Creates the refusal. */
  constructor(
    /** Why, as a stable code. */
    readonly code: DailyJoinRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'DailyJoinRefused';
  }
}

/** What a meeting token admits, as the fake read it from the token itself. */
export interface DailyTokenHolder {
  /** The room it names (`r`). */
  room: string;
  /** Whether its holder owns the room (`o`). */
  owner: boolean;
  /** The holder's user id (`ud`), if the token sets one. */
  userId?: string;
  /** The holder's name (`u`), if the token sets one. */
  userName?: string;
}

/** What a token is checked against: the key and domain of the fake, and its clock. */
export interface DailyTokenCheck {
  /** The API key Daily accepts now; a token signed with a revoked key is refused. */
  apiKey: string;
  /** The domain's id, which every token must carry as `d`. */
  domainId: string;
  /** The fake's clock in Unix seconds. */
  seconds: number;
}

/**
 * Reads a meeting token as Daily's servers would, whether `POST /meeting-tokens` made it or the app
 * signed it itself ("Self-signing tokens" in Daily's REST reference): an HS256 JWT keyed with the API
 * key, valid while that key is active, whose payload must carry the room `r`, `iat` and the domain id
 * `d`; `exp` and `nbf` (Unix seconds) bound when it admits. Refusals throw {@link DailyJoinRefused}.
 */
export function readDailyMeetingToken(token: string, check: DailyTokenCheck): DailyTokenHolder {
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('not a JWT (three dot-separated parts)');
  const [header, payload, signature] = parts as [string, string, string];
  const head = decodeJson(header);
  // Only HS256 is Daily's: accepting `none` or another algorithm would let anyone write a token.
  if (head?.alg !== 'HS256') throw invalid(`algorithm ${JSON.stringify(head?.alg)} is not HS256`);
  const expected = createHmac('sha256', check.apiKey).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.toString('base64url') !== signature || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid('the signature is not made with the domain’s active API key');
  }
  const claims = decodeJson(payload);
  if (claims === undefined) throw invalid('the payload is not a JSON object');
  if (typeof claims.r !== 'string' || claims.r.length === 0) throw invalid('the token names no room (r)');
  if (typeof claims.iat !== 'number') throw invalid('the token has no issue time (iat)');
  if (claims.d !== check.domainId) throw invalid('the token is not for this domain (d)');
  for (const field of ['exp', 'nbf'] as const) {
    if (claims[field] !== undefined && (typeof claims[field] !== 'number' || !Number.isFinite(claims[field]))) throw invalid(`${field} is not Unix seconds`);
  }
  if (typeof claims.exp === 'number' && claims.exp <= check.seconds) throw new DailyJoinRefused('TOKEN_EXPIRED', 'the meeting token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf > check.seconds) throw new DailyJoinRefused('TOKEN_NOT_YET_VALID', 'the meeting token is not valid yet');
  if (claims.o !== undefined && typeof claims.o !== 'boolean') throw invalid('o (is_owner) is not a boolean');
  return {
    room: claims.r,
    owner: claims.o === true,
    ...(typeof claims.ud === 'string' ? { userId: claims.ud } : {}),
    ...(typeof claims.u === 'string' ? { userName: claims.u } : {}),
  };
}

/** Signs claims as `POST /meeting-tokens` does: HS256 with the API key. */
export function signDailyJwt(claims: Record<string, unknown>, apiKey: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', apiKey).update(unsigned).digest('base64url')}`;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function invalid(reason: string): DailyJoinRefused {
  return new DailyJoinRefused('INVALID_TOKEN', `Daily would refuse this meeting token: ${reason}`);
}
