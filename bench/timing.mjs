// Wall-clock timing for the bench lines, in milliseconds.
import { performance } from 'node:perf_hooks';
import { spread } from './harness.mjs';

/** How long `fn` takes to run. */
export function time(fn) {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/** How long `fn`'s promise takes to settle. */
export async function timeAsync(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** The median of `samples` timings of `fn(i)`; `before(i)`, untimed, runs ahead of each. */
export async function medianMs(samples, fn, before = async () => {}) {
  const times = [];
  for (let i = 0; i < samples; i += 1) {
    await before(i);
    times.push(await timeAsync(() => fn(i)));
  }
  return spread(times).median;
}
