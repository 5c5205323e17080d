import { createHash, randomBytes } from 'node:crypto';
import type { ParticipantRole } from '../../index.js';

/** Every channel this SDK names starts so; notifications about other channels are not ours to log. */
export const AGORA_CHANNEL_PREFIX = 'vcb-';

// Agora allows under 64 bytes of a-z A-Z 0-9, space and !#$%&()+-:;<=.>?@[]^_{|}~, (agora-token index.d.ts).
const CHANNEL_NAME = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{|}~,]{1,63}$/;
const OWN_CHANNEL = /^vcb-([0-9a-z]+)-[A-Za-z0-9_-]+$/;
const UINT32_MAX = 0xffff_ffff;

/** Whether Agora accepts `name` as a channel name. */
export function isAgoraChannelName(name: string): boolean {
  return CHANNEL_NAME.test(name) && Buffer.byteLength(name) < 64;
}

/**
 * A fresh channel name, `vcb-<token expiry, base-36 Unix seconds>-<16 random characters>`. The expiry
 * rides in the name so whichever server ends the call knows how long to ban the channel for.
 */
export function newAgoraChannel(tokenExpiresAtSeconds: number): string {
  const name = `${AGORA_CHANNEL_PREFIX}${tokenExpiresAtSeconds.toString(36)}-${randomBytes(12).toString('base64url')}`;
  if (!isAgoraChannelName(name)) throw new Error(`generated an invalid Agora channel name ${name}`);
  return name;
}

/** The token expiry (Unix seconds) a channel of ours carries in its name; undefined for other channels. */
export function tokenExpiryOfChannel(channel: string): number | undefined {
  const match = OWN_CHANNEL.exec(channel);
  if (!match) return undefined;
  const seconds = Number.parseInt(match[1]!, 36);
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** The two uids of a channel: uint32s in 1..2^32-1, distinct, derived from the channel name alone. */
export interface AgoraChannelUids {
  /** The ops device's uid. */
  opsDevice: number;
  /** The other side's uid (citizen, or officer in `officer-device`). */
  otherSide: number;
}

/**
 * Derives each side's uid from the channel name, so any server that receives a notification can tell
 * which side joined without shared state. A uid is not a secret: Agora admits a uid only with a token
 * minted for that channel and uid, and only this SDK's servers hold the app certificate.
 */
export function agoraChannelUids(channel: string): AgoraChannelUids {
  const opsDevice = uidFor(channel, 'ops-device');
  let otherSide = uidFor(channel, 'other-side');
  if (otherSide === opsDevice) otherSide = opsDevice === UINT32_MAX ? 1 : opsDevice + 1;
  return { opsDevice, otherSide };
}

/** Which side a uid in one of our channels belongs to. */
export function roleOfUid(channel: string, uid: number): ParticipantRole {
  const uids = agoraChannelUids(channel);
  if (uid === uids.opsDevice) return 'ops-device';
  if (uid === uids.otherSide) return 'other-side';
  return 'unknown';
}

function uidFor(channel: string, role: 'ops-device' | 'other-side'): number {
  const uid = createHash('sha256').update(`vcb-agora-uid\u0000${channel}\u0000${role}`).digest().readUInt32BE(0);
  // 0 means "any uid" to Agora, so it is never ours.
  return uid === 0 ? 1 : uid;
}
