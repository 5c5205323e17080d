import type { BridgeStore } from '../audit/store.js';
import type { TakeLease } from '../calls/lease-taker.js';

/** One periodic job of the bridge (checkpoint signing, retention erasure) that must run on one server at a time. */
export interface SharedJob {
  /** Stable name; the lease that owns the job is named after it. */
  name: string;
  /** How often the job runs. */
  everyMs: number;
  /** One run; its failure is reported and the next run tries again. */
  run(): Promise<unknown>;
}

/** What running shared jobs needs from the bridge. @internal */
export interface SharedJobContext {
  /** The shared store, whose leases decide which server runs a job. */
  store: BridgeStore;
  /** Takes the job's lease, reporting a corrupt one. */
  takeLease: TakeLease;
  /** This server's id: the holder of the leases of the jobs it runs. */
  serverId: string;
  /** The bridge's clock, in epoch milliseconds. */
  now(): number;
  /** Keeps each run, so `idle()` and `close()` wait for it. */
  track(work: Promise<unknown>): void;
}

/** The lease a job is owned through: its colon keeps it apart from every room's device id, which may not hold one. */
export function jobLeaseId(name: string): string {
  return `vcb-job:${name}`;
}

/**
 * Runs a job on whichever server holds its lease: each server tries on the job's period, and the
 * lease lasts two periods, so its holder keeps it by running and a dead holder's job moves on after
 * at most two periods. Returns the function that stops this server trying and hands the job's lease
 * back, so a server shut down cleanly leaves the job to the others at once.
 */
export function runSharedJob(job: SharedJob, context: SharedJobContext): () => Promise<void> {
  const attempt = async () => {
    const lease = await context.takeLease({
      deviceId: jobLeaseId(job.name),
      holder: context.serverId,
      ttlMs: 2 * job.everyMs,
      nowMs: context.now(),
    });
    if (lease !== null) await job.run();
  };
  const timer = setInterval(() => context.track(attempt()), job.everyMs);
  timer.unref();
  context.track(attempt());
  return async () => {
    clearInterval(timer);
    await context.store.releaseLease(jobLeaseId(job.name), context.serverId);
  };
}
