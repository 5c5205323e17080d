import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createBridge,
  type Bridge,
  type CallAdapter,
  type ProviderEvent,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { room, startRequest } from '../support/sandbox.js';

// A provider whose API is only asked, never pushes: its record of each call grows as the test says.
function pollingProvider() {
  const records = new Map<string, ProviderEvent[]>();
  let polls = 0;
  let failures = 0;
  const adapter: CallAdapter = {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: 'zoom',
    capabilities: { platforms: ['ios', 'android', 'desktop'], access: 'browser', flows: ['citizen-device'], lifecycle: 'polling', recording: false },
    async createCall(request) {
      const id = `meeting-${request.verificationId}`;
      records.set(id, []);
      return { providerCallId: id, opsDevice: { url: `https://meet.invalid/${id}?host` }, otherSide: { url: `https://meet.invalid/${id}` } };
    },
    async endCall({ providerCallId }) {
      add(providerCallId, 'call.ended', 'conference-ended');
    },
    async verifyWebhook() {
      throw new BridgeError('WEBHOOK_INVALID', 'this provider sends no webhooks');
    },
    async pollEvents({ providerCallId }) {
      polls += 1;
      if (failures > 0) {
        failures -= 1;
        throw new BridgeError('PROVIDER_UNAVAILABLE', 'the provider answered 503');
      }
      return [...(records.get(providerCallId) ?? [])];
    },
    async health() {
      return { ok: true };
    },
  };
  function add(providerCallId: string, type: ProviderEvent['type'], providerEventId: string, role?: 'ops-device' | 'other-side') {
    records.get(providerCallId)!.push({
      type,
      providerType: type,
      providerCallId,
      providerEventId: `${providerCallId}:${providerEventId}`,
      providerTime: { value: new Date().toISOString() },
      ...(role ? { participant: { role, providerParticipantId: role } } : {}),
    });
  }
  return { adapter, add, polls: () => polls, failNextPolls: (n: number) => void (failures = n) };
}

const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length > 0) await bridges.pop()!.close();
});

function bridgeWith(adapter: CallAdapter, pollDelaysMs?: number[]): Bridge {
  const bridge = createBridge({
    store: memoryStore(),
    adapters: [adapter],
    rooms: [room('room-a', { device: { id: 'room-a-device', handles: { zoom: 'ops@example.test' } } })],
    personalDataKey: randomBytes(32),
    ...(pollDelaysMs ? { pollDelaysMs } : {}),
  });
  bridges.push(bridge);
  return bridge;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('polling providers', () => {
  it('refresh logs each provider event once and moves the call forward', async () => {
    const provider = pollingProvider();
    const bridge = bridgeWith(provider.adapter, [60_000]);
    const call = await bridge.startVerification(startRequest({ citizen: { browser: true } }));
    expect(call.state).toBe('created');
    provider.add(call.providerCallId!, 'participant.joined', 'ops', 'ops-device');
    provider.add(call.providerCallId!, 'participant.joined', 'citizen', 'other-side');
    expect((await call.refresh()).map((e) => e.type)).toEqual(['participant.joined', 'participant.joined']);
    expect(call.state).toBe('connected');
    expect(await call.refresh()).toEqual([]);
    expect(call.timeline().filter((e) => e.source === 'provider')).toHaveLength(2);
  });

  it('polls on its schedule while the call is live, once more at the end, then stops', async () => {
    const provider = pollingProvider();
    const bridge = bridgeWith(provider.adapter, [5]);
    const call = await bridge.startVerification(startRequest({ citizen: { browser: true } }));
    provider.add(call.providerCallId!, 'participant.joined', 'ops', 'ops-device');
    provider.add(call.providerCallId!, 'participant.joined', 'citizen', 'other-side');
    await until(() => call.state === 'connected');
    await call.end();
    await bridge.idle();
    const ended = call.timeline().filter((e) => e.type === 'call.ended');
    expect(ended.map((e) => e.source)).toEqual(['sdk', 'provider']);
    expect(ended[1]!.data.late).toBe(true);
    const pollsAfterEnd = provider.polls();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(provider.polls()).toBe(pollsAfterEnd);
  });

  it('reports a failed poll and keeps polling', async () => {
    const provider = pollingProvider();
    const bridge = bridgeWith(provider.adapter, [5]);
    const errors: BridgeError[] = [];
    bridge.on('background-error', (error) => errors.push(error));
    provider.failNextPolls(2);
    const call = await bridge.startVerification(startRequest({ citizen: { browser: true } }));
    provider.add(call.providerCallId!, 'participant.joined', 'ops', 'ops-device');
    await until(() => call.state === 'ringing');
    expect(errors.map((e) => e.code)).toEqual(['PROVIDER_UNAVAILABLE', 'PROVIDER_UNAVAILABLE']);
    await call.end();
  });

  it('refuses a polling adapter without pollEvents, and a bad schedule', () => {
    const { pollEvents: _omitted, ...withoutPoll } = pollingProvider().adapter;
    expect(() => bridgeWith(withoutPoll as CallAdapter)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => bridgeWith(pollingProvider().adapter, [])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => bridgeWith(pollingProvider().adapter, [0])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('polling across servers', () => {
  it('is done by the one server carrying the call, and by its adopter once that server stops', async () => {
    const provider = pollingProvider();
    const store = memoryStore();
    const make = (serverId: string) => {
      const bridge = createBridge({
        store,
        adapters: [provider.adapter],
        rooms: [room('room-a', { device: { id: 'room-a-device', handles: { zoom: 'ops@example.test' } } })],
        personalDataKey: randomBytes(32),
        pollDelaysMs: [5],
        adoptAfterMs: 90,
        serverId,
      });
      bridges.push(bridge);
      return bridge;
    };
    const first = make('server-0');
    const second = make('server-1');
    const call = await first.startVerification(startRequest({ citizen: { browser: true } }));
    await first.close(); // its polls stop with it; nothing polls until the call is adopted
    const stopped = provider.polls();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.polls()).toBe(stopped);
    provider.add(call.providerCallId!, 'participant.joined', 'ops', 'ops-device');
    provider.add(call.providerCallId!, 'participant.joined', 'citizen', 'other-side');
    for (let tries = 0; (await second.getCall(call.id))?.state !== 'connected'; tries += 1) {
      if (tries > 400) throw new Error('the adopter never polled the call to connected');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await store.findCall({ verificationId: call.id }))?.owner).toBe('server-1');
  });
});
