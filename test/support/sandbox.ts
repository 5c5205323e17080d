import { randomBytes } from 'node:crypto';
import { daily } from '../../src/adapters/daily.js';
import {
  createBridge,
  type Bridge,
  type BridgeOptions,
  type BridgeStore,
  type OpsRoom,
  type StartVerificationInput,
  type VerificationCall,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startDailyFake, startWebhookReceiver, type DailyFake, type LifecycleStep } from '../../src/testing/index.js';

/** A bridge on a Daily fake with its webhook receiver, for integration tests. */
export interface Sandbox {
  bridge: Bridge;
  fake: DailyFake;
  store: BridgeStore;
  start(overrides?: Partial<StartVerificationInput>): Promise<VerificationCall>;
  play(call: VerificationCall, ...steps: LifecycleStep[]): Promise<number[]>;
  close(): Promise<void>;
}

/** One ops room whose device has a Daily handle. */
export function room(id: string, overrides: Partial<OpsRoom> = {}): OpsRoom {
  return {
    id,
    name: `Ops room ${id}`,
    publishedPhoneNumber: '+442072221234',
    device: { id: `${id}-device`, handles: { daily: `${id}-device` } },
    ...overrides,
  };
}

/** A valid start request; tests override what they examine. */
export function startRequest(overrides: Partial<StartVerificationInput> = {}): StartVerificationInput {
  return {
    officer: { collarNumber: '4721ab', warrantCardNumber: 'wc-100200', name: 'PC Test', force: 'Test Constabulary' },
    reason: 'Checking on a report of a person in distress',
    flow: 'citizen-device',
    citizen: { platform: 'android', browser: true },
    ...overrides,
  };
}

/** Starts a Daily fake, a bridge on it and a webhook receiver. */
export async function openSandbox(options: Partial<BridgeOptions> = {}): Promise<Sandbox> {
  const fake = await startDailyFake();
  const store = options.store ?? memoryStore();
  const bridge = createBridge({
    store,
    adapters: [daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep: async () => undefined })],
    rooms: [room('room-a')],
    personalDataKey: randomBytes(32),
    ...options,
  });
  const receiver = await startWebhookReceiver(bridge);
  fake.deliverWebhooksTo(receiver.urlFor('daily'));
  return {
    bridge,
    fake,
    store,
    start: (overrides) => bridge.startVerification(startRequest(overrides)),
    async play(call, ...steps) {
      const statuses: number[] = [];
      for (const step of steps) for (const delivery of await fake.play(step, call.providerCallId!)) statuses.push(delivery.status);
      return statuses;
    },
    async close() {
      await bridge.close();
      await receiver.close();
      await fake.close();
      await store.close();
    },
  };
}
