import { afterEach, describe, expect, it } from 'vitest';
import { openSandbox, type Sandbox } from '../support/sandbox.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/testing/index.js';

let box: Sandbox;
let receiver: WebhookReceiver;
afterEach(async () => {
  await receiver.close();
  await box.close();
});

async function open(): Promise<void> {
  box = await openSandbox();
  receiver = await startWebhookReceiver(box.bridge);
}

describe('webhook HTTP handler', () => {
  it('refuses bodies over the limit with 413 before reading them all', async () => {
    await open();
    const response = await fetch(receiver.urlFor('daily'), { method: 'POST', body: 'x'.repeat(300 * 1024) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers unknown providers 404, other methods 405 and other paths 404', async () => {
    await open();
    expect((await fetch(receiver.urlFor('myspace'), { method: 'POST', body: '{}' })).status).toBe(404);
    const get = await fetch(receiver.urlFor('daily'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(receiver.urlFor('daily').replace('/webhooks/daily', '/elsewhere'), { method: 'POST' })).status).toBe(404);
  });

  it("accepts Daily's unsigned verification ping without logging anything", async () => {
    await open();
    const response = await fetch(receiver.urlFor('daily'), { method: 'POST', body: JSON.stringify({ test: 'test' }) });
    expect(response.status).toBe(200);
    expect((await box.store.head()).size).toBe(0);
  });

  it('answers a forged delivery 401 with only the error code', async () => {
    await open();
    const response = await fetch(receiver.urlFor('daily'), {
      method: 'POST',
      headers: { 'x-webhook-signature': 'AAAA', 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)) },
      body: JSON.stringify({ type: 'meeting.started', id: 'x', payload: {} }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'WEBHOOK_INVALID' });
  });
});
