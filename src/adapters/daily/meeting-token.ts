import { createHmac } from 'node:crypto';

/**
 * What one side's meeting token grants, in the long property names of `POST /meeting-tokens`
 * (PROVIDERS.md §2.2).
 */
export interface DailyMeetingTokenGrant {
  /** The one room it admits to; a token without a room would admit to every room of the domain. */
  roomName: string;
  /** Unix seconds after which it admits nobody. */
  exp: number;
  /** Whether its holder is the room's owner (the ops device). */
  isOwner: boolean;
  /** The holder's user id in Daily's events. */
  userId: string;
  /** The name the holder appears under. */
  userName: string;
}

/**
 * Signs a meeting token locally instead of asking `POST /meeting-tokens`, which Daily documents
 * ("Self-signing tokens", docs.daily.co/reference/rest-api/meeting-tokens/self-signing-tokens): an HS256
 * JWT keyed with the domain's API key, accepted while that key is active. The payload must carry the
 * room `r`, the issue time `iat` and the `domain_id` as `d`; the other properties go under Daily's
 * abbreviations (`o` is_owner, `ud` user_id, `u` user_name, `ejt` eject_at_token_exp).
 */
export function signDailyMeetingToken(apiKey: string, domainId: string, grant: DailyMeetingTokenGrant, nowMs: number): string {
  const claims = {
    r: grant.roomName,
    d: domainId,
    iat: Math.floor(nowMs / 1000),
    exp: grant.exp,
    o: grant.isOwner,
    ud: grant.userId,
    u: grant.userName,
    // The holder is put out when the token lapses, as the room itself ejects everyone at its expiry.
    ejt: true,
  };
  const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${unsigned}.${createHmac('sha256', apiKey).update(unsigned).digest('base64url')}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
