import { BridgeError, invalidInput } from './errors.js';
import type { DeviceLease, LeaseFence, LeaseRequest } from './audit/store.js';

/**
 * The lease rule every store applies inside its own atomic step: a device held by someone else until
 * later than now is busy (null); otherwise the requester gets it. Renewing keeps the epoch; a new
 * holder, or the same holder after expiry or release, gets the next epoch, so epochs only go up.
 */
export function nextLease(current: DeviceLease | undefined, request: LeaseRequest): DeviceLease | null {
  const live = current !== undefined && current.expiresAtMs > request.nowMs;
  if (live && current.holder !== request.holder) return null;
  const epoch = live ? current.epoch : (current?.epoch ?? 0) + 1;
  return { deviceId: request.deviceId, holder: request.holder, epoch, expiresAtMs: request.nowMs + request.ttlMs };
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
    Number.isFinite(request.nowMs);
  if (!ok) throw invalidInput('a lease request needs a device id, a holder, a positive ttlMs and nowMs');
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
