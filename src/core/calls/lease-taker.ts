import type { AuditEntry, AuditEntryInput } from '../audit/entry.js';
import type { BridgeStore, DeviceLease, LeaseRequest } from '../audit/store.js';
import { formatInstant } from '../clock.js';
import { BridgeError } from '../errors.js';

/** Takes a device (or job) lease through the store. @internal */
export type TakeLease = (request: LeaseRequest) => Promise<DeviceLease | null>;

/** What reporting a corrupt lease needs from the bridge. @internal */
export interface LeaseReportContext {
  /** The shared store. */
  store: Pick<BridgeStore, 'acquireLease'>;
  /** Appends to the log. */
  append(input: AuditEntryInput): Promise<AuditEntry>;
  /** Reports to `background-error` (and the logger). */
  report(error: unknown): void;
  /** Keeps background work, so `idle()` waits for it. */
  track(work: Promise<unknown>): void;
}

/**
 * `store.acquireLease`, reporting every lease row the store found edited by hand and replaced: as a
 * `lease.corrupt-replaced` entry, so the log shows the tampering, and as AUDIT_TAMPERED on `background-error`.
 * Every lease the bridge takes goes through here. @internal
 */
export function leaseTaker(context: LeaseReportContext): TakeLease {
  return async (request) => {
    const lease = await context.store.acquireLease(request);
    if (lease?.replacedCorrupt) reportCorrupt(lease, context);
    return lease;
  };
}

function reportCorrupt(lease: DeviceLease, context: LeaseReportContext): void {
  const found = lease.replacedCorrupt!;
  const details = {
    deviceId: lease.deviceId,
    reason: found.reason,
    found: { holder: found.holder, epoch: found.epoch, expiresAt: instantOrRaw(found.expiresAtMs) },
    replacedBy: { holder: lease.holder, epoch: lease.epoch },
  };
  context.report(
    new BridgeError('AUDIT_TAMPERED', `the lease of ${lease.deviceId} was edited (${found.reason}); it was replaced under epoch ${lease.epoch}`, {
      details,
    }),
  );
  context.track(context.append({ type: 'lease.corrupt-replaced', source: 'sdk', data: details }));
}

// An edited expiry may be beyond what a date can hold (or not a number at all); the log keeps it as written.
function instantOrRaw(epochMs: number): string {
  return Number.isFinite(epochMs) && Math.abs(epochMs) <= MAX_DATE_MS ? formatInstant(epochMs) : String(epochMs);
}

const MAX_DATE_MS = 8.64e15;
