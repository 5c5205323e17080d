import { randomBytes } from 'node:crypto';
import type { FaceTimeAdapter } from '../adapters/facetime.js';
import type { ProviderFake } from './provider-fake.js';

/** The FaceTime stand-in: Apple has no API, so this is the ops device's side — it makes web links and knows live calls. */
export interface FaceTimeFake extends ProviderFake {
  /** Web links shaped like the ones FaceTime → Create Link makes on the device. */
  createLinks(count: number): string[];
}

/**
 * A fake for the conformance kit. There is no provider to fail, rate-limit or revoke, so those
 * methods throw: a test that relies on them must opt out, saying why.
 */
export function startFaceTimeFake(adapter: FaceTimeAdapter): FaceTimeFake {
  const noApi = (what: string) => () => {
    throw new Error(`FaceTime has no server API, so there is nothing to ${what}`);
  };
  return {
    createLinks: (count) =>
      Array.from({ length: count }, () => `https://facetime.apple.com/join#v=1&p=${randomBytes(16).toString('base64')}&k=${randomBytes(32).toString('base64url')}`),
    // No provider events exist: each step happens on the phones, and the supervisor attests it.
    play: async () => [],
    replay: noApi('replay'),
    failNext: noApi('fail'),
    revokeCredentials: noApi('revoke'),
    holdsCall: (providerCallId) => adapter.isLive(providerCallId),
    deliverWebhooksTo: () => undefined,
    close: async () => undefined,
  };
}
