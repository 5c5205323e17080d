import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { teams } from '../../src/adapters/teams.js';
import { createBridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startDailyFake, startTeamsFake, startWebhookReceiver } from '../../src/testing/index.js';
import { adapterWith, NEW_SECRET, OLD_SECRET, OTHER_SECRET, SIGNED_PROVIDERS } from './webhook-deliveries.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const ENV_VARIABLE = { daily: 'DAILY_WEBHOOK_SECRET', zoom: 'ZOOM_WEBHOOK_SECRET_TOKEN', agora: 'AGORA_WEBHOOK_SECRET', teams: 'TEAMS_CLIENT_STATE' } as const;

describe.each(SIGNED_PROVIDERS)('$provider secret rotation', (p) => {
  it('accepts both secrets during the overlap; once the old is dropped, it and any other are refused as signature', async () => {
    const overlap = adapterWith(p.provider, [NEW_SECRET, OLD_SECRET]);
    for (const secret of [NEW_SECRET, OLD_SECRET]) expect((await overlap.verifyWebhook(p.signed(secret))).kind).toMatch(/^(events|ignored)$/);
    await expect(overlap.verifyWebhook(p.signed(OTHER_SECRET))).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'signature' } });

    const after = adapterWith(p.provider, [NEW_SECRET]);
    expect((await after.verifyWebhook(p.signed(NEW_SECRET))).kind).toMatch(/^(events|ignored)$/);
    for (const secret of [OLD_SECRET, OTHER_SECRET]) {
      await expect(after.verifyWebhook(p.signed(secret))).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'signature' } });
    }
    // A single secret given as a string is still the whole list.
    await expect(adapterWith(p.provider, NEW_SECRET).verifyWebhook(p.signed(OLD_SECRET))).rejects.toMatchObject({ details: { reason: 'signature' } });
  });

  it('reads a comma-separated list from its environment variable on every delivery', async () => {
    const variable = ENV_VARIABLE[p.provider];
    const saved = process.env[variable];
    try {
      const adapter = adapterWith(p.provider, undefined);
      process.env[variable] = NEW_SECRET;
      await expect(adapter.verifyWebhook(p.signed(OLD_SECRET))).rejects.toMatchObject({ details: { reason: 'signature' } });
      process.env[variable] = ` ${NEW_SECRET}, ${OLD_SECRET} `;
      expect((await adapter.verifyWebhook(p.signed(OLD_SECRET))).kind).toMatch(/^(events|ignored)$/);
      expect((await adapter.verifyWebhook(p.signed(NEW_SECRET))).kind).toMatch(/^(events|ignored)$/);
    } finally {
      if (saved === undefined) delete process.env[variable];
      else process.env[variable] = saved;
    }
  });

  it('refuses an empty list or an empty secret as INVALID_CONFIG naming the option, and says so in health()', async () => {
    for (const secrets of [[], [NEW_SECRET, ' ']]) {
      const adapter = adapterWith(p.provider, secrets);
      const failure = await adapter.verifyWebhook(p.signed(NEW_SECRET)).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'INVALID_CONFIG' });
      expect(String((failure as Error).message)).not.toContain(NEW_SECRET);
      const health = await adapter.health();
      expect(health.ok).toBe(false);
      expect(health.reason).toContain(p.provider === 'teams' ? 'clientState' : p.provider === 'zoom' ? 'webhookSecretToken' : 'webhookSecret');
    }
  });
});

describe('zoom URL validation during a rotation', () => {
  it('answers the challenge with the token that signed it, which is the one Zoom holds', async () => {
    const adapter = adapterWith('zoom', [NEW_SECRET, OLD_SECRET]);
    const zoomProvider = SIGNED_PROVIDERS.find((p) => p.provider === 'zoom')!;
    const body = JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: 1_900_000_000_000, event: 'endpoint.url_validation' });
    for (const secret of [NEW_SECRET, OLD_SECRET]) {
      const result = await adapter.verifyWebhook(zoomProvider.signed(secret, { body }));
      if (result.kind !== 'reply') throw new Error(`expected a reply, got ${result.kind}`);
      // Computed independently of the module under test (PROVIDERS.md §1.4).
      const encryptedToken = createHmac('sha256', secret).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex');
      expect(JSON.parse(result.reply.body)).toEqual({ plainToken: 'qgg8vlvZRS6UYooatFL8Aw', encryptedToken });
    }
  });
});

describe('teams subscriptions during a rotation', () => {
  it('subscribes with the first (newest) clientState', async () => {
    const fake = await startTeamsFake();
    closers.push(() => fake.close());
    const oldState = fake.clientState;
    const newState = randomBytes(24).toString('base64url');
    const adapter = teams({ ...fake.adapterOptions, clientState: [newState, oldState] });
    const store = memoryStore();
    const bridge = createBridge({
      store,
      adapters: [adapter],
      rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { teams: fake.userId } } }],
      personalDataKey: randomBytes(32),
    });
    const receiver = await startWebhookReceiver(bridge);
    closers.push(() => store.close(), () => bridge.close(), () => receiver.close());
    await adapter.subscribe({ notificationUrl: receiver.urlFor('teams') });
    const posted = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1.0/subscriptions');
    expect((posted!.body as { clientState: string }).clientState).toBe(newState);
  });
});

describe('daily rotation end to end', () => {
  it('keeps taking deliveries while Daily is switched to the new secret, and refuses the old once it is dropped', async () => {
    const fake = await startDailyFake();
    closers.push(() => fake.close());
    const oldSecret = fake.webhookSecret;
    const newSecret = randomBytes(32).toString('base64');
    let configured: string[] = [oldSecret];
    // A getter stands in for a config reload: the adapter reads its secrets on every delivery.
    const options = { apiKey: fake.apiKey, baseUrl: fake.baseUrl, get webhookSecret() { return configured; } };
    const store = memoryStore();
    const bridge = createBridge({
      store,
      adapters: [daily(options)],
      rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { daily: 'device' } } }],
      personalDataKey: randomBytes(32),
    });
    const receiver = await startWebhookReceiver(bridge);
    closers.push(() => store.close(), () => bridge.close(), () => receiver.close());
    fake.deliverWebhooksTo(receiver.urlFor('daily'));
    const send = async () => (await fake.send('meeting.started', { room: 'vcb-elsewhere', meeting_id: 'm', start_ts: Date.now() / 1000 })).status;

    configured = [newSecret, oldSecret]; // 1. add the new secret
    expect(await send()).toBe(200); // Daily still signs with the old one
    fake.rotateWebhookSecret(newSecret); // 2. switch Daily to the new one
    expect(await send()).toBe(200);
    fake.rotateWebhookSecret(oldSecret); // a delivery still signed with the old secret, during the overlap
    expect(await send()).toBe(200);
    configured = [newSecret]; // 3. drop the old one
    expect(await send()).toBe(401);
    fake.rotateWebhookSecret(newSecret);
    expect(await send()).toBe(200);
  });
});
