import { BridgeError, invalidInput } from './errors.js';
import type { CorruptLease, DeviceLease, LeaseFence, LeaseRequest } from './audit/store.js';

/**
 * The longest lease any bridge asks for (a call's lease lasts `adoptAfterMs`, a shared job's two of its
 * periods, at most an hour each). A lease lapsing later than this from now was not written by a bridge.
 */
export const MAX_LEASE_TTL_MS = 2 * 60 * 60_000;

// A lease granted for the longest TTL by one server is read by another whose `nowMs` is a little behind
// (its clock, or a request that waited in a writer's queue): only a lapse beyond this slack is an edit.
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * Why a lease row cannot have been written by a bridge, or undefined when it could: it lapses later
 * than any lease is granted for, or its epoch is below one a call on the device was already fenced
 * with (`highestCallEpoch`, from the store's call rows). Such a row was edited by hand.
 */
export function leaseCorruption(lease: DeviceLease, nowMs: number, highestCallEpoch = 0): CorruptLease['reason'] | undefined {
  if (lease.expiresAtMs > nowMs + MAX_LEASE_TTL_MS + CLOCK_SLACK_MS) return 'expiry-too-far';
  if (lease.epoch < highestCallEpoch) return 'epoch-went-back';
  return undefined;
}

/**
 * The lease rule every store applies inside its own atomic step: a device held by someone else until
 * later than now is busy (null); otherwise the requester gets it. Renewing keeps the epoch; a new
 * holder, or the same holder after expiry or release, gets the next epoch, so epochs only go up. A
 * corrupt lease (see {@link leaseCorruption}) never keeps a device: it is replaced under an epoch above
 * every one seen, and the new lease says what it replaced.
 */
export function nextLease(current: DeviceLease | undefined, request: LeaseRequest, highestCallEpoch = 0): DeviceLease | null {
  const corruption = current && leaseCorruption(current, request.nowMs, highestCallEpoch);
  const live = current !== undefined && corruption === undefined && current.expiresAtMs > request.nowMs;
  if (live && current.holder !== request.holder) return null;
  const epoch = live ? current.epoch : Math.max(current?.epoch ?? 0, highestCallEpoch) + 1;
  const lease: DeviceLease = { deviceId: request.deviceId, holder: request.holder, epoch, expiresAtMs: request.nowMs + request.ttlMs };
  if (corruption === undefined) return lease;
  const { holder, epoch: oldEpoch, expiresAtMs } = current!;
  return { ...lease, replacedCorrupt: { reason: corruption, holder, epoch: oldEpoch, expiresAtMs } };
}

/** The lease `currentLease` reports: unexpired and not corrupt by its expiry, else null. */
export function standingLease(lease: DeviceLease | undefined, nowMs: number): DeviceLease | null {
  return lease !== undefined && lease.expiresAtMs > nowMs && leaseCorruption(lease, nowMs) === undefined ? { ...lease } : null;
}

/** Throws INVALID_INPUT unless a lease request is well formed; stores call it before touching the database. */
export function assertLeaseRequest(request: LeaseRequest): void {
  const ok =
    typeof request.deviceId === 'string' &&
    request.deviceId.length > 0 &&
    typeof request.holder === 'string' &&
    request.holder.length > 0 &&
    Number.isFinite(request.ttlMs) &&
    request.ttlMs > 0 &&
    request.ttlMs <= MAX_LEASE_TTL_MS &&
    Number.isFinite(request.nowMs);
  if (!ok) throw invalidInput('a lease request needs a device id, a holder, a positive ttlMs of at most MAX_LEASE_TTL_MS, and nowMs');
}

/** Throws INVALID_INPUT unless a fence names a device and a whole epoch of at least 1 (the first epoch granted). */
export function assertLeaseFence(fence: LeaseFence): void {
  const ok =
    typeof fence === 'object' &&
    fence !== null &&
    typeof fence.deviceId === 'string' &&
    fence.deviceId.length > 0 &&
    Number.isSafeInteger(fence.epoch) &&
    fence.epoch >= 1;
  if (!ok) throw invalidInput('a lease fence needs a device id and the epoch its lease was granted with');
}

/**
 * The fencing rule every store applies inside the same atomic step as the write: the device's latest
 * epoch must still be the writer's. A lapsed or released lease that nobody has taken since still
 * passes, because fencing guards against a successor, not against lateness.
 */
export function checkLeaseFence(fence: LeaseFence, latestEpoch: number | undefined): void {
  if (latestEpoch === fence.epoch) return;
  const why =
    latestEpoch === undefined || latestEpoch < fence.epoch
      ? `was never leased with epoch ${fence.epoch}`
      : `has been leased again (epoch ${latestEpoch}) since epoch ${fence.epoch}`;
  throw new BridgeError('LEASE_LOST', `device ${fence.deviceId} ${why}: the write was refused`, {
    details: { deviceId: fence.deviceId, epoch: fence.epoch, ...(latestEpoch === undefined ? {} : { latestEpoch }) },
  });
}
