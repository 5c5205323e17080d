import type { FakeResponse } from '../fake-server.js';

/** A privilege-banning rule made with `POST /dev/v1/kicking-rule`. */
export interface BanRule {
  /** The rule id Agora returns. */
  id: number;
  /** The App ID. */
  appid: string;
  /** Only this channel, when set. */
  cname?: string;
  /** Only this uid, when set. */
  uid?: number;
  /** Only this IP, when set. */
  ip?: string;
  /** `join_channel`, `publish_audio`, `publish_video`. */
  privileges: string[];
  /** Unix seconds when the rule lapses. */
  expiresAt: number;
}

/** What the ban-rule store needs from the fake. */
export interface BanRuleContext {
  /** The App ID requests must name. */
  appId: string;
  /** The fake's clock in Unix seconds. */
  seconds: () => number;
  /** Removes every user in the channel for whom `matches` holds. */
  kick(matches: (channel: string, uid: number) => boolean): void;
}

const PRIVILEGES = new Set(['join_channel', 'publish_audio', 'publish_video']);
const DEFAULT_SECONDS = 3600;

/**
 * Agora's privilege-banning rules (docs.agora.io/en/api-reference/api-ref/rtc/create-ban-rule): `cname`,
 * `uid` and `ip` narrow who is banned; `time` (minutes, clamped to [1, 1440]) or `time_in_seconds`
 * (clamped to [10, 86430], and preferred when both are set) say for how long, 60 minutes if neither;
 * 0 sets matching users offline without banning them.
 */
export function createBanRules(context: BanRuleContext) {
  const rules: BanRule[] = [];
  let nextId = 1953;

  function create(body: unknown): FakeResponse {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (input.appid !== context.appId) return bad('invalid appid');
    const { cname, uid, ip, privileges } = input;
    if (!Array.isArray(privileges) || privileges.length === 0 || !privileges.every((p) => typeof p === 'string' && PRIVILEGES.has(p))) {
      return bad('privileges must list join_channel, publish_audio or publish_video');
    }
    if (cname !== undefined && typeof cname !== 'string') return bad('cname must be a string');
    if (uid !== undefined && (typeof uid !== 'number' || !Number.isInteger(uid) || uid <= 0 || uid > 0xffff_ffff)) return bad('uid must be a uint32 other than 0');
    if (ip !== undefined && (typeof ip !== 'string' || ip === '0')) return bad('ip must be an address');
    // UNCONFIRMED: what Agora does with a rule that names no one; refusing it is the safe reading.
    if (!cname && uid === undefined && !ip) return bad('at least one of cname, uid and ip is required');
    const duration = durationSeconds(input);
    if (typeof duration === 'string') return bad(duration);
    const rule: BanRule = {
      id: nextId++,
      appid: context.appId,
      ...(cname ? { cname } : {}),
      ...(uid !== undefined ? { uid } : {}),
      ...(ip ? { ip } : {}),
      privileges: privileges as string[],
      expiresAt: context.seconds() + duration,
    };
    if (duration > 0) rules.push(rule);
    if (rule.privileges.includes('join_channel')) context.kick((channel, u) => matches(rule, channel, u));
    return { status: 200, body: { status: 'success', id: rule.id } };
  }

  return {
    create,
    /** Rules in force now. */
    list: (): BanRule[] => rules.filter((r) => r.expiresAt > context.seconds()).map((r) => ({ ...r, privileges: [...r.privileges] })),
    /** Whether `uid` may not join `channel` now. */
    isBanned: (channel: string, uid: number): boolean =>
      rules.some((r) => r.expiresAt > context.seconds() && r.privileges.includes('join_channel') && matches(r, channel, uid)),
  };
}

// The fake's clients have no IP address, so a rule that names one matches none of them.
function matches(rule: BanRule, channel: string, uid: number): boolean {
  return (rule.cname === undefined || rule.cname === channel) && (rule.uid === undefined || rule.uid === uid) && rule.ip === undefined;
}

function durationSeconds(input: Record<string, unknown>): number | string {
  const { time, time_in_seconds: timeInSeconds } = input;
  for (const [name, value] of [['time', time], ['time_in_seconds', timeInSeconds]] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) return `${name} must be a non-negative number`;
  }
  if (typeof timeInSeconds === 'number') return timeInSeconds === 0 ? 0 : Math.min(86_430, Math.max(10, Math.round(timeInSeconds)));
  if (typeof time === 'number') return time === 0 ? 0 : Math.min(1440, Math.max(1, Math.round(time))) * 60;
  return DEFAULT_SECONDS;
}

function bad(message: string): FakeResponse {
  return { status: 400, body: { message } };
}
