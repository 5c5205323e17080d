import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALL_ADAPTER_SPECIFICATION_VERSION,
  createBridge,
  type Bridge,
  type CallAdapter,
  type ProviderEvent,
} from '../../src/index.js';
import { FINISHED_HANDLES_KEPT } from '../../src/core/calls/call-registry.js';
import memoryStore from '../../src/stores/memory.js';
import { room, startRequest } from '../support/sandbox.js';

// A full collection on demand, so a test can ask whether anything still reaches a finished call's handle.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

// Webhook deliveries are unsigned JSON here: these tests are about what the bridge keeps, not about signatures.
function adapter(lifecycle: 'webhook' | 'polling'): CallAdapter {
  const ended = new Set<string>();
  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: 'daily',
    capabilities: { platforms: ['android', 'ios', 'desktop'], access: 'browser', flows: ['citizen-device'], lifecycle, recording: false },
    async createCall(request) {
      const id = `room-${request.verificationId}`;
      return { providerCallId: id, opsDevice: { url: `https://calls.invalid/${id}?host` }, otherSide: { url: `https://calls.invalid/${id}` } };
    },
    async endCall({ providerCallId }) {
      ended.add(providerCallId);
    },
    async verifyWebhook(request) {
      return { kind: 'events', events: [JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as ProviderEvent] };
    },
    ...(lifecycle === 'polling'
      ? {
          async pollEvents({ providerCallId }: { providerCallId: string }): Promise<ProviderEvent[]> {
            if (!ended.has(providerCallId)) return [];
            return [{ type: 'call.ended', providerType: 'room.ended', providerCallId, providerEventId: `${providerCallId}:ended` }];
          },
        }
      : {}),
    async health() {
      return { ok: true };
    },
  };
}

const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length > 0) await bridges.pop()!.close();
});

function bridgeWith(lifecycle: 'webhook' | 'polling'): Bridge {
  const bridge = createBridge({
    store: memoryStore(),
    adapters: [adapter(lifecycle)],
    rooms: [room('room-a')],
    personalDataKey: randomBytes(32),
    pollDelaysMs: [5],
  });
  bridges.push(bridge);
  return bridge;
}

function joined(providerCallId: string, role: 'ops-device' | 'other-side') {
  const event = { type: 'participant.joined', providerType: 'participant.joined', providerCallId, providerEventId: `${providerCallId}:${role}`, participant: { role } };
  return { method: 'POST', url: '/webhooks/daily', headers: {}, rawBody: Buffer.from(JSON.stringify(event)) };
}

// Runs a call through its whole life in a frame of its own, so only the returned WeakRef points at the handle.
async function finishedCall(bridge: Bridge, late: boolean): Promise<{ id: string; handle: WeakRef<object> }> {
  const call = await bridge.startVerification(startRequest());
  await bridge.handleWebhook('daily', joined(call.providerCallId!, 'ops-device'));
  await bridge.handleWebhook('daily', joined(call.providerCallId!, 'other-side'));
  await call.recordOutcome({ outcome: 'verified', supervisor: { collarNumber: 'SGT1', name: 'Sgt One' } });
  await call.end();
  // A provider's delivery after the end reads the finished call back: that copy must not be kept either.
  if (late) await bridge.handleWebhook('daily', joined(call.providerCallId!, 'other-side'));
  await bridge.idle();
  return { id: call.verification.id, handle: new WeakRef(call) };
}

async function collected(handle: WeakRef<object>): Promise<boolean> {
  // A WeakRef's target survives the job that made it; collect once that job is over.
  await new Promise((resolve) => setTimeout(resolve, 20));
  collectGarbage();
  return handle.deref() === undefined;
}

// Finishes calls until the first of them is past the newest FINISHED_HANDLES_KEPT.
async function finishMore(bridge: Bridge): Promise<void> {
  for (let i = 0; i < FINISHED_HANDLES_KEPT; i += 1) await finishedCall(bridge, false);
}

describe('a finished call leaves nothing behind in the bridge', () => {
  it('keeps an ended call held among the newest finished, then lets go of it and reads it back on request', async () => {
    const bridge = bridgeWith('webhook');
    const { id, handle } = await finishedCall(bridge, false);
    expect(bridge.call(id)).toBe(handle.deref());
    await finishMore(bridge);
    expect(bridge.call(id)).toBeUndefined();
    expect(await collected(handle)).toBe(true);
    const again = await bridge.getCall(id);
    expect(again?.state).toBe('ended');
    expect(again?.outcome?.outcome).toBe('verified');
  });

  it('lets go of a finished call read back for a late provider delivery', async () => {
    const bridge = bridgeWith('webhook');
    const { id, handle } = await finishedCall(bridge, true);
    await finishMore(bridge);
    expect(bridge.call(id)).toBeUndefined();
    expect(await collected(handle)).toBe(true);
  });

  it('drops the poll loop of an ended polling call', async () => {
    const bridge = bridgeWith('polling');
    const { id, handle } = await finishedCall(bridge, false);
    await finishMore(bridge);
    expect((await bridge.getCall(id))?.state).toBe('ended');
    expect(await collected(handle)).toBe(true);
  });

  it('delivers a late provider event to the handle the app kept, and records an outcome on it after the end', async () => {
    const bridge = bridgeWith('webhook');
    const call = await bridge.startVerification(startRequest());
    const seen: string[] = [];
    call.on('entry', (entry) => seen.push(entry.type));
    expect(bridge.call(call.verification.id)).toBe(call);
    await call.end();
    await bridge.handleWebhook('daily', joined(call.providerCallId!, 'other-side'));
    expect(seen.at(-1)).toBe('participant.joined');
    await call.recordOutcome({ outcome: 'inconclusive', supervisor: { collarNumber: 'SGT1', name: 'Sgt One' } });
    expect((await bridge.getCall(call.verification.id))?.outcome?.outcome).toBe('inconclusive');
  });
});
