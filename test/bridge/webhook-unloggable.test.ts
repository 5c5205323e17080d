import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createBridge,
  createFetchWebhookHandler,
  type Bridge,
  type CallAdapter,
  type ProviderEvent,
  type WebhookRejection,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { room } from '../support/sandbox.js';

// An adapter that has verified a delivery hands the bridge whatever the body held: the log's own limits
// (event ids of at most 256 characters, well-formed text) then decide, and a refusal is the delivery's fault.
function verbatimAdapter(): CallAdapter {
  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: 'daily',
    capabilities: { platforms: ['android', 'ios', 'desktop'], access: 'browser', flows: ['citizen-device'], lifecycle: 'webhook', recording: false },
    createCall: async () => ({ providerCallId: 'room-1', opsDevice: { url: 'https://example.invalid/1' }, otherSide: { url: 'https://example.invalid/1' } }),
    endCall: async () => undefined,
    verifyWebhook: async (request) => ({ kind: 'events', events: JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as ProviderEvent[] }),
    health: async () => ({ ok: true }),
  };
}

const bridges: Bridge[] = [];
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
});

function setUp() {
  const store = memoryStore();
  const bridge = createBridge({ store, adapters: [verbatimAdapter()], rooms: [room('room-a')], personalDataKey: randomBytes(32) });
  bridges.push(bridge);
  const rejected: WebhookRejection[] = [];
  bridge.on('webhook-rejected', (report) => rejected.push(report));
  const handler = createFetchWebhookHandler(bridge);
  const send = (events: unknown[]) => handler(new Request('http://localhost/webhooks/daily', { method: 'POST', body: JSON.stringify(events) }));
  return { store, send, rejected };
}

const event = (overrides: Partial<ProviderEvent>): ProviderEvent => ({
  type: 'participant.joined',
  providerType: 'participant.joined',
  providerCallId: 'room-1',
  providerEventId: 'evt-1',
  ...overrides,
});

describe('a verified delivery holding a value the log cannot keep', () => {
  it.each([
    ['an event id over 256 characters', event({ providerEventId: 'e'.repeat(257) })],
    ['an empty event id', event({ providerEventId: '' })],
    ['a lone surrogate in its evidence', event({ evidence: { participant: 'a\ud800' } })],
  ])('is a malformed delivery (400), reported as such: %s', async (_name, bad) => {
    const { store, send, rejected } = setUp();
    const answer = await send([bad]);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: 'WEBHOOK_INVALID' });
    expect(rejected).toMatchObject([{ provider: 'daily', code: 'WEBHOOK_INVALID', reason: 'malformed' }]);
    expect((await store.head()).size).toBe(0);
  });

  it('answers 400 when the adapter itself could not read the delivery, as webhook-rejected says malformed', async () => {
    const { store, rejected } = setUp();
    const handler = createFetchWebhookHandler(bridges[0]!);
    const answer = await handler(new Request('http://localhost/webhooks/daily', { method: 'POST', body: '[{' }));
    expect(answer.status).toBe(400);
    expect(rejected).toMatchObject([{ code: 'WEBHOOK_INVALID', reason: 'malformed' }]);
    expect((await store.head()).size).toBe(0);
  });

  it('keeps what the delivery logged before the value it could not keep', async () => {
    const { store, send } = setUp();
    const answer = await send([event({ providerEventId: 'evt-ok' }), event({ providerEventId: 'e'.repeat(300) })]);
    expect(answer.status).toBe(400);
    expect((await store.readEntries()).map((e) => e.providerEventId)).toEqual(['evt-ok']);
    expect((await store.verify()).ok).toBe(true);
  });
});
