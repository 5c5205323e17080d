import { invalidInput } from './errors.js';
import type { DeviceLease, LeaseRequest } from './audit/store.js';

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
