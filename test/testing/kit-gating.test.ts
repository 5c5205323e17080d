import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

interface JsonReport {
  testResults: { assertionResults: { title: string; status: string }[] }[];
}

it('skips tests an adapter lacks the capability for, and names the reason of each opt-out', () => {
  const run = spawnSync('npx', ['vitest', 'run', 'test/testing/kit-gating.fixture.test.ts', '--reporter=json'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as JsonReport;
  const status = Object.fromEntries(report.testResults[0]!.assertionResults.map((r) => [r.title, r.status]));
  for (const gated of ['lifecycle-from-provider-events', 'rejects-bad-signature', 'rejects-stale-timestamp', 'rejects-unsigned', 'ignores-replay', 'recording-evidence']) {
    expect(status[gated], gated).toBe('skipped');
  }
  expect(status['provider-5xx-end-retried (opted out: this provider has no end request to retry)']).toBe('skipped');
  for (const runs of ['creates-call', 'lifecycle-from-operator', 'ends-call', 'provider-401-marks-unhealthy', 'provider-429-retried-after-wait', 'no-secrets-in-log']) {
    expect(status[runs], runs).toBe('passed');
  }
  expect(run.status).toBe(0);
}, 150_000); // a nested vitest run: slow when the crash test shares the two cores
