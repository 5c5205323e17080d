import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { whatsapp } from '../../src/adapters/whatsapp.js';
import { referenceIn } from '../../src/adapters/whatsapp/messages.js';
import { createBridge, type Bridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { createFakeWhatsAppClient, type FakeWhatsAppClient } from '../../src/testing/index.js';
import { startRequest } from '../support/sandbox.js';

const CITIZEN = '447911123456@c.us';
const SUPERVISOR = { collarNumber: 'SGT1234', name: 'Sgt Ops' };
const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length > 0) await bridges.pop()!.close();
});

function setup(clients?: Record<string, FakeWhatsAppClient>) {
  const client = createFakeWhatsAppClient();
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters: [whatsapp({ clients: clients ?? { 'room-a-device': client } })],
    rooms: [{ id: 'room-a', name: 'Ops room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { whatsapp: '+442072221234' } } }],
    personalDataKey: randomBytes(32),
  });
  bridges.push(bridge);
  const start = () => bridge.startVerification(startRequest({ citizen: { platform: 'android', apps: ['whatsapp'] } }));
  return { client, store, bridge, start };
}

describe('whatsapp', () => {
  it('links her message to a call its session did not see created (a restart), through the store', async () => {
    const client = createFakeWhatsAppClient();
    const store = memoryStore();
    const options = {
      store,
      rooms: [{ id: 'room-a', name: 'Ops room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { whatsapp: '+442072221234' } } }],
      personalDataKey: randomBytes(32),
    };
    const before = createBridge({ ...options, adapters: [whatsapp({ clients: { 'room-a-device': client } })] });
    const call = await before.startVerification(startRequest({ citizen: { platform: 'android', apps: ['whatsapp'] } }));
    await before.close();
    const after = createBridge({ ...options, adapters: [whatsapp({ clients: { 'room-a-device': client } })] });
    bridges.push(after);
    client.receiveMessage(CITIZEN, call.verification.reference);
    for (let tries = 0; (await store.readEntries({ verificationId: call.id, type: 'chat.linked' })).length === 0; tries += 1) {
      if (tries > 200) throw new Error('her message was never linked');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    client.receiveCall(CITIZEN, { atSeconds: 1_764_240_030 });
    await after.idle();
    expect((await after.getCall(call.id))?.state).toBe('ringing');
    expect(await store.readEntries({ type: 'provider.unmatched-event' })).toEqual([]);
  });

  it('links her chat by the reference, rings on her call, and sends her the outcome; her chat id is logged only hashed', async () => {
    const { client, store, bridge, start } = setup();
    const call = await start();
    const reference = call.verification.reference;
    expect(call.join?.otherSide.url).toBe(`https://wa.me/442072221234?text=${encodeURIComponent(`${reference} — police verification call`)}`);

    client.receiveMessage(CITIZEN, `Hi, ${reference} — police verification call`, 1_764_240_000);
    client.receiveCall(CITIZEN, { atSeconds: 1_764_240_030 });
    await bridge.idle();
    expect(call.state).toBe('ringing');
    const [linked, rang] = call.timeline().filter((e) => e.source === 'provider');
    expect(linked).toMatchObject({ type: 'chat.linked', providerAt: '2025-11-27T10:40:00.000Z', data: { evidence: { reference } } });
    expect(rang).toMatchObject({ type: 'call.started', providerAt: '2025-11-27T10:40:30.000Z', data: { evidence: { isVideo: true } } });
    expect(linked!.data.evidence).toMatchObject({ chatIdHash: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) });
    expect((rang!.data.evidence as { chatIdHash: string }).chatIdHash).toBe((linked!.data.evidence as { chatIdHash: string }).chatIdHash);

    await call.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await call.attest({ fact: 'connected', supervisor: SUPERVISOR });
    const outcome = await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified' });
    await bridge.idle();
    expect(client.sent).toEqual([
      {
        chatId: CITIZEN,
        content: expect.stringContaining(`Police verification ${reference}: the officer was VERIFIED by the ops room supervisor, collar number SGT1234, at ${outcome.at.slice(0, 10)}`),
      },
    ]);
    expect(call.timeline().at(-1)).toMatchObject({ type: 'outcome.confirmed', data: { ok: true } });
    await call.attest({ fact: 'ended', supervisor: SUPERVISOR });
    expect(JSON.stringify(await store.readEntries())).not.toContain('7911123456');
    expect((await store.verify()).ok).toBe(true);
  });

  it('logs a message naming no current verification, and tells her not to rely on whoever gave it', async () => {
    const { client, store, bridge } = setup();
    client.receiveMessage(CITIZEN, 'They said to send K7Q-4MP');
    client.receiveMessage(CITIZEN, 'hello, is this the police?');
    await bridge.idle();
    const logged = (await store.readEntries()).filter((e) => e.type === 'provider.unmatched-event');
    expect(logged).toHaveLength(1);
    expect(logged[0]!.data).toMatchObject({ uniformType: 'chat.linked', evidence: { reason: 'no-matching-reference', reference: 'K7Q-4MP' } });
    expect(client.sent).toEqual([{ chatId: CITIZEN, content: expect.stringContaining('could not match K7Q-4MP') }]);
    expect(client.sent[0]!.content).toContain('999');
  });

  it('ties a reference to the first chat only, and logs a call from an unlinked chat as unmatched', async () => {
    const { client, store, bridge, start } = setup();
    const call = await start();
    client.receiveMessage(CITIZEN, call.verification.reference);
    client.receiveMessage('447911999888@c.us', call.verification.reference);
    client.receiveCall('447911999888@c.us');
    await bridge.idle();
    expect(call.state).toBe('created');
    const unmatched = (await store.readEntries()).filter((e) => e.type === 'provider.unmatched-event').map((e) => e.data.evidence);
    expect(unmatched).toEqual([
      expect.objectContaining({ reason: 'no-matching-reference' }),
      expect.objectContaining({ reason: 'chat-not-linked', isVideo: true }),
    ]);
    await call.end();
  });

  it('has the operator call her back, then confirms the outcome on her chat, never logging her number', async () => {
    const { client, store, bridge } = setup();
    const call = await bridge.startVerification(startRequest({ flow: 'callback', citizen: { platform: 'android', apps: ['whatsapp'], phoneNumber: '+447911123456' } }));
    expect(call.state).toBe('created');
    expect(call.join?.opsDevice.url).toMatch(/^whatsapp:\/\/send\?phone=447911123456&text=/);
    await call.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await call.attest({ fact: 'connected', supervisor: SUPERVISOR });
    await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified' });
    await bridge.idle();
    expect(client.sent).toEqual([{ chatId: CITIZEN, content: expect.stringContaining('VERIFIED') }]);
    await call.attest({ fact: 'ended', supervisor: SUPERVISOR });
    expect(JSON.stringify(await store.readEntries())).not.toContain('7911123456');
  });

  it('logs that the confirmation could not be sent when she never messaged', async () => {
    const { bridge, start } = setup();
    const call = await start();
    await call.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'inconclusive' });
    await bridge.idle();
    expect(call.timeline().at(-1)).toMatchObject({ type: 'outcome.confirmed', data: { ok: false, error: { code: 'NOT_FOUND' } } });
    await call.end();
  });

  it('passes over a device with no WhatsApp Web session', async () => {
    const { start } = setup({ 'another-device': createFakeWhatsAppClient() });
    const call = await start();
    expect(call.state).toBe('failed');
    expect(call.decision?.rejected[0]).toMatchObject({ reason: 'device-unready', detail: expect.stringContaining('no WhatsApp Web session') });
  });

  it('reads references as prefilled or typed, not ordinary words', () => {
    expect(referenceIn('K7Q-4MP — police verification call')).toBe('K7Q-4MP');
    expect(referenceIn('my code is k7q-4mp')).toBe('K7Q-4MP');
    expect(referenceIn('K7Q4MP')).toBe('K7Q-4MP');
    expect(referenceIn('the car is outside')).toBeUndefined();
    expect(referenceIn('LOL-000')).toBeUndefined();
  });
});
