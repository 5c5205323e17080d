import { timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Secrets from '../../src/core/webhooks/secrets.js';
import { adapterWith, NEW_SECRET, OLD_SECRET, OTHER_SECRET, SIGNED_PROVIDERS } from '../adapters/webhook-deliveries.js';

// Swapping a constant-time comparison for `===` changes no answer, so no ordinary test can see it.
// These checks can: nothing else in src/ may call timingSafeEqual, every signing adapter's decision must
// come from the secrets module (its answer is overridden below and the adapter must follow it), and that
// module must itself be built on node:crypto's timingSafeEqual.

const helper = vi.hoisted(() => ({ calls: 0, verdict: 'real' as 'real' | 'match' | 'no-match' }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

vi.mock('../../src/core/webhooks/secrets.js', async (importOriginal) => {
  const real = await importOriginal<typeof Secrets>();
  const secretsEqual: typeof real.secretsEqual = (given, expected) => {
    helper.calls += 1;
    return helper.verdict === 'real' ? real.secretsEqual(given, expected) : helper.verdict === 'match';
  };
  const matchingSecret: typeof real.matchingSecret = (secrets, given, sign) => {
    helper.calls += 1;
    if (helper.verdict === 'real') return real.matchingSecret(secrets, given, sign);
    return helper.verdict === 'match' ? secrets[0] : undefined;
  };
  return { ...real, secretsEqual, matchingSecret };
});

beforeEach(() => {
  helper.calls = 0;
  helper.verdict = 'real';
  vi.mocked(timingSafeEqual).mockClear();
});

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const THE_HELPER = join(SRC, 'core/webhooks/secrets.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(SRC, 'testing') ? [] : sourceFiles(path);
    return /\.[cm]?tsx?$/.test(entry.name) && path !== THE_HELPER ? [path] : [];
  });
}

describe('secret comparisons in src/', () => {
  it('call no timingSafeEqual of their own (node:crypto or crypto.subtle): only secretsEqual does', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const offenders = files.filter((path) => /timingSafeEqual/.test(readFileSync(path, 'utf8'))).map((path) => relative(SRC, path));
    expect(offenders).toEqual([]);
  });
});

describe.each(SIGNED_PROVIDERS)('$provider verifyWebhook decides through the secrets module', (p) => {
  const adapter = () => adapterWith(p.provider, [NEW_SECRET, OLD_SECRET]);

  it('for a genuine delivery: it asks the module, and refuses when the module says no match', async () => {
    expect((await adapter().verifyWebhook(p.signed(OLD_SECRET))).kind).toMatch(/^(events|ignored)$/);
    expect(helper.calls).toBeGreaterThan(0);
    helper.verdict = 'no-match';
    await expect(adapter().verifyWebhook(p.signed(OLD_SECRET))).rejects.toMatchObject({ details: { reason: 'signature' } });
  });

  it('for a forged delivery: it asks the module, and accepts when the module says match', async () => {
    await expect(adapter().verifyWebhook(p.signed(OTHER_SECRET))).rejects.toMatchObject({ details: { reason: 'signature' } });
    expect(helper.calls).toBeGreaterThan(0);
    helper.verdict = 'match';
    expect((await adapter().verifyWebhook(p.signed(OTHER_SECRET))).kind).toMatch(/^(events|ignored)$/);
  });
});

describe('secretsEqual and matchingSecret', () => {
  it('compare with node:crypto timingSafeEqual, on digests of one length whatever the inputs', async () => {
    const real = await vi.importActual<typeof Secrets>('../../src/core/webhooks/secrets.js');
    expect(real.secretsEqual('same', 'same')).toBe(true);
    expect(real.secretsEqual('short', 'a much longer value')).toBe(false);
    expect(real.secretsEqual(Buffer.from('bytes'), 'bytes')).toBe(true);
    const calls = vi.mocked(timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(3);
    for (const [a, b] of calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
  });

  it('try every secret even after one matched, so the time taken does not say which matched', async () => {
    const real = await vi.importActual<typeof Secrets>('../../src/core/webhooks/secrets.js');
    expect(real.matchingSecret(['first', 'second', 'third'], 'first!', (secret) => `${secret}!`)).toBe('first');
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(3);
    expect(real.matchingSecret(['first', 'second'], 'nobody!', (secret) => `${secret}!`)).toBeUndefined();
  });
});
