import { createHash } from 'node:crypto';
import { invalidInput, parseE164 } from '../../index.js';

// Apple's web links carry the link id and key in the fragment (`#v=1&p=…&k=…`), never sent to a server.
const WEB_LINK = /^https:\/\/facetime\.apple\.com\/join#v=1&p=[A-Za-z0-9+/_-]{8,64}={0,2}&k=[A-Za-z0-9+/_-]{16,128}={0,2}$/;
const EMAIL = /^[^\s@:/?#]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;

/** An ops device's FaceTime handle: its phone number (E.164) or Apple ID email. */
export function parseFaceTimeHandle(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith('+')) return parseE164(trimmed, 'facetime handle');
  if (EMAIL.test(trimmed)) return trimmed.toLowerCase();
  throw invalidInput('a FaceTime handle is a phone number in international form or an Apple ID email', { field: 'handle' });
}

/** A FaceTime web link created on the ops device, checked to be Apple's `https://facetime.apple.com/join#v=1&p=…&k=…`. */
export function parseFaceTimeWebLink(value: unknown, field = 'link'): string {
  if (typeof value !== 'string' || !WEB_LINK.test(value.trim())) {
    throw invalidInput(`${field} is not a FaceTime web link (https://facetime.apple.com/join#v=1&p=…&k=…)`, { field });
  }
  return value.trim();
}

/** A link's fingerprint for the log: the link itself is a key that admits whoever holds it. */
export function linkFingerprint(link: string): string {
  return `sha256:${createHash('sha256').update(link).digest('hex')}`;
}

/**
 * The web links each ops device's operators created for people who cannot start a FaceTime call
 * (Android, Windows). Each link is used once and then retired for good, so a link a citizen kept
 * can never reach a later call.
 */
export interface FaceTimeLinkPool {
  /** Adds links for a device; all are checked first, and one bad, repeated or retired link adds none. */
  register(deviceId: string, links: readonly string[]): { added: number; remaining: number };
  /** Takes the device's oldest unused link and retires it, or undefined when none is left. */
  take(deviceId: string): string | undefined;
  /** How many unused links the device has. */
  remaining(deviceId: string): number;
}

/** Creates an in-memory pool; retired links are remembered by fingerprint only. */
export function createFaceTimeLinkPool(): FaceTimeLinkPool {
  const unused = new Map<string, string[]>();
  const seen = new Set<string>();
  return {
    register(deviceId, links) {
      const checked = links.map((link, i) => parseFaceTimeWebLink(link, `links[${i}]`));
      const fingerprints = checked.map(linkFingerprint);
      fingerprints.forEach((fingerprint, i) => {
        if (seen.has(fingerprint) || fingerprints.indexOf(fingerprint) !== i) {
          throw invalidInput(`links[${i}] was registered or used before; FaceTime links are single use`, { field: `links[${i}]` });
        }
      });
      for (const fingerprint of fingerprints) seen.add(fingerprint);
      const pool = unused.get(deviceId) ?? [];
      pool.push(...checked);
      unused.set(deviceId, pool);
      return { added: checked.length, remaining: pool.length };
    },
    take(deviceId) {
      return unused.get(deviceId)?.shift();
    },
    remaining(deviceId) {
      return unused.get(deviceId)?.length ?? 0;
    },
  };
}
