import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { facetime } from '../../src/adapters/facetime.js';
import { whatsapp } from '../../src/adapters/whatsapp.js';
import { createBridge, type Bridge, type CallAdapter, type Flow, type StartVerificationInput } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { createFakeWhatsAppClient, startFaceTimeFake, startWhatsAppFake, type ProviderFake } from '../../src/testing/index.js';
import { startRequest } from '../support/sandbox.js';

const SUPERVISOR = { collarNumber: 'SGT1234', name: 'Sgt Ops' };
const DEVICE = 'room-a-device';
const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length > 0) await bridges.pop()!.close();
});

function open(provider: 'facetime' | 'whatsapp'): { bridge: Bridge; fake: ProviderFake; store: ReturnType<typeof memoryStore> } {
  let adapter: CallAdapter;
  let fake: ProviderFake;
  if (provider === 'facetime') {
    const ft = facetime();
    fake = startFaceTimeFake(ft);
    adapter = ft;
  } else {
    const client = createFakeWhatsAppClient();
    const wa = whatsapp({ clients: { [DEVICE]: client } });
    fake = startWhatsAppFake(wa, client);
    adapter = wa;
  }
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters: [adapter],
    rooms: [{ id: 'room-a', name: 'Ops room A', publishedPhoneNumber: '+442072221234', device: { id: DEVICE, handles: { [provider]: '+442072221234' } } }],
    personalDataKey: randomBytes(32),
  });
  bridges.push(bridge);
  return { bridge, fake, store };
}

const INPUTS: Record<'facetime' | 'whatsapp', Record<Flow, Partial<StartVerificationInput>>> = {
  facetime: {
    'officer-device': { flow: 'officer-device', officerDevice: { platform: 'ios', apps: ['facetime'] } },
    'citizen-device': { flow: 'citizen-device', citizen: { platform: 'android', browser: true } },
    callback: { flow: 'callback', citizen: { platform: 'ios', apps: ['facetime'], phoneNumber: '+447911123456' } },
  },
  whatsapp: {
    'officer-device': { flow: 'officer-device', officerDevice: { platform: 'android', apps: ['whatsapp'] } },
    'citizen-device': { flow: 'citizen-device', citizen: { platform: 'ios', apps: ['whatsapp'] } },
    callback: { flow: 'callback', citizen: { platform: 'android', apps: ['whatsapp'], phoneNumber: '+447911123456' } },
  },
};

describe.each(['facetime', 'whatsapp'] as const)('%s through every flow', (provider) => {
  it.each(['officer-device', 'citizen-device', 'callback'] as const)('%s ends with a verifiable log in which every entry says its source', async (flow) => {
    const { bridge, fake, store } = open(provider);
    if (provider === 'facetime') {
      await bridge.registerLinks('facetime', { deviceId: DEVICE, links: (fake as ReturnType<typeof startFaceTimeFake>).createLinks(2), actor: 'operator:ops1' });
    }
    const call = await bridge.startVerification(startRequest(INPUTS[provider][flow]));
    expect(call.state, JSON.stringify(call.decision?.rejected)).toBe('created');
    // In a callback the ops device calls her; otherwise she (or the officer) joins as the provider allows.
    if (flow !== 'callback') await fake.play('other-joined', call.providerCallId!);
    await bridge.idle();
    await call.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await call.attest({ fact: 'connected', supervisor: SUPERVISOR });
    await call.attest({ fact: 'officer-identity-confirmed', supervisor: SUPERVISOR });
    await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified' });
    await call.attest({ fact: 'ended', supervisor: SUPERVISOR });
    await bridge.idle();

    expect(call.state).toBe('ended');
    expect((await store.verify()).ok).toBe(true);
    const own = await store.readEntries({ verificationId: call.verification.id });
    for (const entry of own) expect(['sdk', 'provider', 'operator']).toContain(entry.source);
    for (const entry of own.filter((e) => e.type === 'operator.attested' || e.type === 'outcome.recorded')) {
      expect(entry).toMatchObject({ source: 'operator', actor: 'supervisor:SGT1234' });
    }
    const fromProvider = own.filter((e) => e.source === 'provider').map((e) => e.type);
    // Only a WhatsApp session sees anything itself: her (or the officer's) reference message and call.
    expect(fromProvider).toEqual(provider === 'whatsapp' && flow !== 'callback' ? ['chat.linked', 'call.started'] : []);
    expect(JSON.stringify(await store.readEntries())).not.toContain('7911123456');
  });
});

describe('registering FaceTime links through the bridge', () => {
  it('logs who registered how many, and logs a refused batch without the links, before rethrowing', async () => {
    const { bridge, fake, store } = open('facetime');
    const [good] = (fake as ReturnType<typeof startFaceTimeFake>).createLinks(1) as [string];
    await expect(bridge.registerLinks('facetime', { deviceId: DEVICE, links: [good, 'https://facetime.apple.com/join'], actor: 'operator:ops1' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await bridge.registerLinks('facetime', { deviceId: DEVICE, links: [good], actor: 'operator:ops1' })).toEqual({ added: 1, remaining: 1 });
    const logged = await store.readEntries();
    expect(logged.map((e) => [e.type, e.source, e.actor])).toEqual([
      ['device.links-refused', 'operator', 'operator:ops1'],
      ['device.links-registered', 'operator', 'operator:ops1'],
    ]);
    expect(logged[0]!.data).toMatchObject({ deviceId: DEVICE, offered: 2, error: { code: 'INVALID_INPUT' } });
    expect(JSON.stringify(logged)).not.toContain(good.split('#')[1]);
    await expect(bridge.registerLinks('daily', { deviceId: DEVICE, links: [good], actor: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
