import type { TakeLease } from './lease-taker.js';
import type { BridgeStore } from '../audit/store.js';
import { BridgeError } from '../errors.js';
import { isLiveCall, type CallRecord } from './call-record.js';
import type { CallRegistry } from './call-registry.js';
import type { VerificationCall } from './verification-call.js';

/** What a keeper needs from the bridge. @internal */
export interface CallKeeperOptions {
  /** The shared store. */
  store: BridgeStore;
  /** Takes (renews, adopts) a call's device lease, reporting a corrupt one. */
  takeLease: TakeLease;
  /** This server's id, written as the owner of the calls it carries. */
  serverId: string;
  /** How long a call's device lease lasts unrenewed; a call whose server stopped is adopted within about this and a third. */
  adoptAfterMs: number;
  /** The bridge's clock, in epoch milliseconds. */
  now(): number;
  /** Where handles come from. */
  registry: CallRegistry;
  /** Called when this server adopts a live call: start its polls. */
  onAdopted(call: VerificationCall): void;
  /** Reports background failures. */
  report(error: unknown): void;
}

/**
 * Carries this server's live calls, and the calls of servers that stopped: renews each owned call's
 * device lease, ends a call at its expiry, and adopts any live call whose lease lapsed (its server
 * died) under a new lease epoch. Every server runs one, so no call depends on the process that started it.
 */
export class CallKeeper {
  private readonly owned = new Map<string, VerificationCall>();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly options: CallKeeperOptions) {}

  /** Starts the heartbeat: a third of `adoptAfterMs`, so a lease is renewed twice before it could lapse. */
  start(): void {
    this.timer = setInterval(() => void this.beat(), Math.max(1, Math.floor(this.options.adoptAfterMs / 3)));
    this.timer.unref();
  }

  /** Stops the heartbeat and waits for a beat in progress; owned calls are left for other servers to adopt. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }

  /** Whether this server carries the call now. */
  owns(verificationId: string): boolean {
    return this.owned.has(verificationId);
  }

  /** Carries a call this server just started. */
  own(call: VerificationCall): void {
    this.owned.set(call.id, call);
  }

  /** Stops carrying a call (it ended, or another server took it over). */
  disown(verificationId: string): void {
    this.owned.delete(verificationId);
  }

  /** One heartbeat: renew, expire and adopt. Runs one at a time; a failure is reported and the next beat tries again. */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .catch((error: unknown) => this.options.report(error))
      .finally(() => {
        this.beating = undefined;
      });
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    for (const call of [...this.owned.values()]) await this.keep(call).catch((error: unknown) => this.options.report(error));
    for (const record of await this.options.store.listLiveCalls()) {
      if (!this.owned.has(record.verificationId) && (await this.isOrphan(record))) {
        await this.adopt(record).catch((error: unknown) => this.options.report(error));
      }
    }
    this.options.registry.dropIdle((id) => this.owned.has(id));
  }

  private async keep(call: VerificationCall): Promise<void> {
    const { store, serverId, now } = this.options;
    const record = await store.findCall({ verificationId: call.id });
    if (record === null || record.owner !== serverId || !isLiveCall(record)) {
      this.disown(call.id);
      return;
    }
    if (now() >= record.expiresAtMs) {
      await call.expire();
      this.disown(call.id);
      return;
    }
    if (record.deviceId === undefined) return;
    const lease = await this.renew(record);
    if (lease !== null && lease.epoch === record.epoch) return;
    // The lease was released or lapsed since the row was read: the call may have ended on another server.
    const latest = await store.findCall({ verificationId: call.id });
    if (latest === null || !isLiveCall(latest) || latest.owner !== serverId) {
      if (lease !== null) await store.releaseLease(record.deviceId, call.id);
      this.disown(call.id);
      return;
    }
    if (lease === null) {
      this.disown(call.id);
      throw new BridgeError('LEASE_LOST', `the device lease of verification ${call.id} was taken: this server stops carrying it`);
    }
    // Renewed too late, the lease lapsed and came back under a new epoch: the call's row must say so.
    await this.takeOver(call, record.owner, lease.epoch);
  }

  private async isOrphan(record: CallRecord): Promise<boolean> {
    const { store, now, adoptAfterMs } = this.options;
    if (record.deviceId === undefined) return now() - record.updatedAtMs > 2 * adoptAfterMs;
    const lease = await store.currentLease(record.deviceId, now());
    return lease === null || lease.holder !== record.verificationId;
  }

  private async adopt(record: CallRecord): Promise<void> {
    const lease = record.deviceId === undefined ? undefined : await this.renew(record);
    if (lease === null) return;
    const call = await this.options.registry.get(record.verificationId);
    if (call === undefined) return;
    try {
      await this.takeOver(call, record.owner, lease?.epoch);
    } catch (error) {
      if (!BridgeError.hasCode(error, 'ILLEGAL_TRANSITION')) throw error;
      // Ended meanwhile, or another server was quicker: an ended call must not keep the lease just taken.
      if (lease && !isLiveCall(call)) await this.options.store.releaseLease(record.deviceId!, call.id);
      return;
    }
    // A server that died before the provider's call existed leaves nothing to carry on: the call fails.
    if (call.providerCallId === undefined) {
      const failure = new BridgeError('PROVIDER_UNAVAILABLE', 'the server creating the call stopped before the provider confirmed it');
      await call.record({ type: 'call.abandoned', source: 'sdk', data: { error: failure.toSummary() } }, 'failed');
      this.disown(call.id);
      return;
    }
    if (this.options.now() >= record.expiresAtMs) {
      await call.expire();
      this.disown(call.id);
    }
  }

  private async takeOver(call: VerificationCall, previousOwner: string, epoch: number | undefined): Promise<void> {
    await call.adoptedBy(this.options.serverId, previousOwner, epoch);
    if (this.owned.has(call.id)) return;
    this.own(call);
    this.options.onAdopted(call);
  }

  private renew(record: CallRecord) {
    const { takeLease, now, adoptAfterMs } = this.options;
    return takeLease({ deviceId: record.deviceId!, holder: record.verificationId, ttlMs: adoptAfterMs, nowMs: now() });
  }
}
