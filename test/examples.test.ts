import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { createPoliceAppServer } from '../examples/police-app.js';
import { daily } from '../src/adapters/daily.js';
import memoryStore from '../src/stores/memory.js';
import { startDailyFake, type DailyFake } from '../src/testing/index.js';

let fake: DailyFake;
let close: () => Promise<void> = async () => undefined;
afterEach(() => close());

it('runs the police app example end to end against the Daily fake', async () => {
  fake = await startDailyFake();
  const { server, bridge } = createPoliceAppServer({
    store: memoryStore(),
    adapters: [daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl })],
    rooms: [{ id: 'lambeth', name: 'Lambeth', publishedPhoneNumber: '+442072221234', device: { id: 'lambeth-device', handles: { daily: 'lambeth-device' } } }],
    personalDataKey: randomBytes(32),
    sandbox: true,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    await bridge.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await fake.close();
  };
  fake.deliverWebhooksTo(`${base}/webhooks/daily`);
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const bad = await post('/verifications', { flow: 'citizen-device' });
  expect(bad).toEqual({ status: 400, body: { error: 'INVALID_INPUT' } });

  const started = await post('/verifications', {
    officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Example', force: 'Example Police' },
    reason: 'Checking on a report of a person in distress',
    flow: 'citizen-device',
    citizen: { platform: 'ios', browser: true },
  });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ state: 'created', reference: expect.stringMatching(/^[A-Z2-9]{3}-[A-Z2-9]{3}$/) });
  const id = started.body.verificationId as string;
  const room = new URL(started.body.citizenLink as string).pathname.slice(1);
  for (const step of ['ops-joined', 'other-joined'] as const) await fake.play(step, room);
  expect(bridge.call(id)?.state).toBe('connected');

  const outcome = await post(`/verifications/${id}/outcome`, { supervisor: { collarNumber: 'SGT1', name: 'Sgt Example' }, outcome: 'verified' });
  expect(outcome.status).toBe(200);
  const ended = await post(`/verifications/${id}/end`, {});
  expect(ended.body).toMatchObject({ providerCleanup: { ok: true } });
  expect((await post(`/verifications/${id}/end`, {})).status).toBe(200);
  expect((await post('/verifications/vrf_nope/end', {})).status).toBe(404);
  expect(fake.rooms()).toEqual([]);
});
