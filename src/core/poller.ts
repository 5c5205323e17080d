/** How often the bridge asks a polling provider about a live call. */
export interface PollSchedule {
  /** Waits between polls in milliseconds; the last one repeats until the call is over. */
  delaysMs: readonly number[];
  /** No poll starts at or after this instant (epoch milliseconds): the call's expiry. */
  untilMs: number;
}

/** What a running poll loop needs; `poll` errors go to `onError` and the loop carries on. */
export interface PollLoop {
  /** The schedule to keep. */
  schedule: PollSchedule;
  /** Epoch milliseconds now. */
  now(): number;
  /** One poll. */
  poll(): Promise<void>;
  /** True once the call is over and polling should stop. */
  isDone(): boolean;
  /** Reports a failed poll; the next one still runs, since a provider's hiccup must not end the evidence. */
  onError(error: unknown): void;
  /** Called once when the loop stops scheduling polls: the call is over, its expiry came, or it was stopped. */
  onEnd?(): void;
}

/** The default schedule: quick at first, when joins happen, then every 10 s. */
export const DEFAULT_POLL_DELAYS_MS: readonly number[] = [2_000, 3_000, 5_000, 10_000];

/** Starts polling on a timer that never keeps the process alive; returns the function that stops it. */
export function startPollLoop(loop: PollLoop): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round = 0;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    loop.onEnd?.();
  };
  const { delaysMs, untilMs } = loop.schedule;
  const scheduleNext = () => {
    const delay = delaysMs[Math.min(round, delaysMs.length - 1)] ?? DEFAULT_POLL_DELAYS_MS.at(-1)!;
    round += 1;
    if (stopped || loop.isDone() || loop.now() + delay >= untilMs) return end();
    timer = setTimeout(() => {
      loop
        .poll()
        .catch((error: unknown) => loop.onError(error))
        .finally(scheduleNext);
    }, delay);
    timer.unref();
  };
  scheduleNext();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    end();
  };
}

/** The poll loops a bridge runs; each is let go when it ends, so a finished call's loop keeps nothing alive. */
export class PollLoops {
  private readonly running = new Set<{ stop(): void }>();

  /** Starts `loop`, kept until it ends by itself or `stopAll` stops it. */
  start(loop: PollLoop): void {
    const running = { stop: () => {} };
    this.running.add(running);
    running.stop = startPollLoop({ ...loop, onEnd: () => this.running.delete(running) });
  }

  /** Stops every loop still running. */
  stopAll(): void {
    for (const running of [...this.running]) running.stop();
  }

  /** How many loops are running. */
  get size(): number {
    return this.running.size;
  }
}

/** Checks a schedule given in options: at least one delay, each a positive whole number of milliseconds. */
export function isPollDelays(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.length > 0 && value.every((d) => Number.isInteger(d) && d > 0);
}
