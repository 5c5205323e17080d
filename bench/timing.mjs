// Wall-clock timing for the bench lines, in milliseconds.
import { performance } from 'node:perf_hooks';

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
