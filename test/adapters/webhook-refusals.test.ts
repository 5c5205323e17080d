import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { agora } from '../../src/adapters/agora.js';
import { daily } from '../../src/adapters/daily.js';
import { facetime } from '../../src/adapters/facetime.js';
import { googleMeet } from '../../src/adapters/google-meet.js';
import { teams } from '../../src/adapters/teams.js';
import { whatsapp } from '../../src/adapters/whatsapp.js';
import { zoom, zoomVideoSdk } from '../../src/adapters/zoom.js';
import { BridgeError, createBridge, type Bridge, type CallAdapter, type WebhookRejection, type WebhookRequest } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { NEW_SECRET, OLD_SECRET, OTHER_SECRET, SIGNED_PROVIDERS, type SignedProvider } from './webhook-deliveries.js';

const SECRETS = [NEW_SECRET, OLD_SECRET];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A bridge holding every adapter, the signing ones configured with [new, old], and what it reported. */
function bridgeWithEveryAdapter(): { bridge: Bridge; rejections: WebhookRejection[] } {
  const adapters: CallAdapter[] = [
    daily({ apiKey: 'k', webhookSecret: SECRETS }),
    zoom({ accountId: 'a', clientId: 'c', clientSecret: 's', webhookSecretToken: SECRETS }),
    agora({ webhookSecret: SECRETS }),
    teams({ clientState: SECRETS }),
    zoomVideoSdk(),
    facetime(),
    googleMeet(),
    whatsapp({ clients: {} }),
  ];
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters,
    rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { daily: 'device' } } }],
    personalDataKey: randomBytes(32),
  });
  closers.push(() => store.close(), () => bridge.close());
  const rejections: WebhookRejection[] = [];
  bridge.on('webhook-rejected', (report) => rejections.push(report));
  return { bridge, rejections };
}

type Case = [name: string, reason: WebhookRejection['reason'], delivery: (p: SignedProvider) => WebhookRequest];

const CASES: readonly Case[] = [
  ['no signature', 'unsigned', (p) => p.unsigned()],
  ['a signature by a secret not configured', 'signature', (p) => p.signed(OTHER_SECRET)],
  ['a correct signature over a body that is not JSON', 'malformed', (p) => p.signed(NEW_SECRET, { body: 'not json' })],
  ['a correct signature ten minutes old', 'stale', (p) => p.signed(NEW_SECRET, { ageMs: 600_000 })],
];

describe.each(SIGNED_PROVIDERS)('$provider refusals reach webhook-rejected with their reason', (p) => {
  it.each(CASES.filter(([, reason]) => reason !== 'stale' || p.canBeStale))('%s: %s', async (_name, reason, delivery) => {
    const { bridge, rejections } = bridgeWithEveryAdapter();
    const failure = await bridge.handleWebhook(p.provider, delivery(p)).catch((error: unknown) => error);
    expect(BridgeError.isInstance(failure) && failure.details).toEqual({ reason });
    expect(rejections).toEqual([{ provider: p.provider, code: 'WEBHOOK_INVALID', reason, message: (failure as BridgeError).message }]);
    expect(rejections[0]!.message).toMatch(new RegExp(`^${p.provider} webhook: `));
    // Neither the secrets nor anything derived from them is quoted.
    const said = JSON.stringify(failure) + String(failure) + JSON.stringify(rejections);
    for (const secret of [NEW_SECRET, OLD_SECRET, OTHER_SECRET]) {
      expect(said).not.toContain(secret);
      expect(said).not.toContain(Buffer.from(secret, 'base64').toString('utf8'));
    }
  });

  it('accepts a delivery signed with either configured secret', async () => {
    const { bridge, rejections } = bridgeWithEveryAdapter();
    for (const secret of SECRETS) expect((await bridge.handleWebhook(p.provider, p.signed(secret))).reply.status).toBe(200);
    // The same event signed with the old secret is a copy of one already held, not a refusal.
    expect(rejections.map((r) => r.reason)).not.toContain('signature');
  });
});

describe('adapters that take no webhooks', () => {
  it.each(['zoom-video-sdk', 'facetime', 'google-meet', 'whatsapp'])('%s refuses anything posted as unsigned: nothing could vouch for it', async (provider) => {
    const { bridge, rejections } = bridgeWithEveryAdapter();
    const posted: WebhookRequest = { method: 'POST', url: `/webhooks/${provider}`, headers: {}, rawBody: Buffer.from('{}'), receivedAtMs: Date.now() };
    await expect(bridge.handleWebhook(provider, posted)).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'unsigned' } });
    expect(rejections).toEqual([{ provider, code: 'WEBHOOK_INVALID', reason: 'unsigned', message: expect.stringMatching(new RegExp(`^${provider} webhook: `)) }]);
  });
});
