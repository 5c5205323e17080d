import { randomBytes } from 'node:crypto';
import { agora } from '../../src/adapters/agora.js';
import { daily } from '../../src/adapters/daily.js';
import { teams } from '../../src/adapters/teams.js';
import { zoom } from '../../src/adapters/zoom.js';
import { createBridge, type Bridge, type BridgeStore, type CallAdapter } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startAgoraFake, startDailyFake, startFakeServer, startTeamsFake, startZoomFake, type LifecycleStep, type ProviderFake } from '../../src/testing/index.js';
import { room, startRequest } from '../support/sandbox.js';
import { agoraSigner, dailySigner, teamsSigner, zoomSigner, type FuzzProvider, type Signer } from './signing.js';

/** A real bridge for one provider, with a live call and the valid deliveries its fake made for it. */
export interface ProviderKit {
  provider: FuzzProvider;
  /** Names the bridge routes to this provider's adapter: its id and aliases. */
  names: readonly string[];
  bridge: Bridge;
  store: BridgeStore;
  signer: Signer;
  /** The same scheme under a secret the bridge does not know. */
  forger: Signer;
  /** The verification started for the live call. */
  verificationId: string;
  /** Bodies of genuine deliveries for the live call, as the provider's fake sent them. */
  templates: string[];
  /** A template as it would leave the provider at `nowMs` (Agora's signed `notifyMs` is the send time). */
  freshen(template: string, nowMs: number): string;
  close(): Promise<void>;
}

interface Wiring {
  fake: ProviderFake;
  adapter: CallAdapter;
  deviceHandle: string;
  signer: Signer;
  forger: Signer;
  steps: LifecycleStep[];
  freshen?: (template: string, nowMs: number) => string;
  extraTemplates?: string[];
}

const noSleep = async () => undefined;

const wirings: Record<FuzzProvider, () => Promise<Wiring>> = {
  async daily() {
    const fake = await startDailyFake();
    const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep: noSleep });
    return { fake, adapter, deviceHandle: 'ops-device-1', signer: dailySigner(fake.webhookSecret), forger: dailySigner(randomBytes(32).toString('base64')), steps: ['ops-joined', 'other-joined'] };
  },
  async zoom() {
    const fake = await startZoomFake();
    const adapter = zoom({
      accountId: fake.accountId,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      webhookSecretToken: fake.webhookSecretToken,
      baseUrl: fake.baseUrl,
      oauthBaseUrl: fake.oauthBaseUrl,
      sleep: noSleep,
    });
    // The endpoint check Zoom sends when the webhook URL is saved: answered, never logged.
    const validation = JSON.stringify({ payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' }, event_ts: Date.now(), event: 'endpoint.url_validation' });
    return { fake, adapter, deviceHandle: fake.host.email, signer: zoomSigner(fake.webhookSecretToken), forger: zoomSigner(randomBytes(16).toString('base64url')), steps: ['ops-joined', 'other-joined'], extraTemplates: [validation] };
  },
  async agora() {
    const fake = await startAgoraFake();
    const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.example.police.uk/agora', sleep: noSleep });
    const freshen = (template: string, nowMs: number) => JSON.stringify({ ...JSON.parse(template), notifyMs: nowMs });
    return { fake, adapter, deviceHandle: 'ops-device-1', signer: agoraSigner(fake.webhookSecret), forger: agoraSigner(randomBytes(24).toString('base64url')), steps: ['ops-joined', 'other-joined'], freshen };
  },
  async teams() {
    const fake = await startTeamsFake();
    const adapter = teams({ ...fake.adapterOptions, sleep: noSleep });
    // Graph notifies only once a meeting's call record exists, after the meeting ended.
    return { fake, adapter, deviceHandle: fake.userId, signer: teamsSigner(fake.clientState), forger: teamsSigner(randomBytes(16).toString('base64url')), steps: ['ops-joined', 'other-joined', 'other-left', 'ops-left', 'call-ended'] };
  },
};

/**
 * Opens the provider's fake and a bridge on it (memory store), starts a verification, and plays the
 * call's steps with the fake delivering to a sink, so the genuine deliveries are in hand but not yet
 * seen by the bridge.
 */
export async function openKit(provider: FuzzProvider): Promise<ProviderKit> {
  const wiring = await wirings[provider]();
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters: [wiring.adapter],
    rooms: [room('fuzz-room', { device: { id: 'fuzz-device', handles: { [wiring.adapter.provider]: wiring.deviceHandle } } })],
    personalDataKey: randomBytes(32),
    sandbox: true,
    // The oracle counts what each delivery adds to the log. On a saturated machine the default 30 s lease
    // lapsed mid-run and the bridge logged call.adopted for its own call; a long lease keeps that out of it.
    adoptAfterMs: 3_600_000,
  });
  // Agora resends a callback until it gets 200 with a JSON body.
  const sink = await startFakeServer(() => ({ status: 200, body: { ok: true } }), { errorBody: () => ({}) });
  wiring.fake.deliverWebhooksTo(`${sink.origin}/webhooks/${provider}`);
  // Both sides on Android with the provider's app, which every one of the four can route.
  const caller = { platform: 'android' as const, browser: true, apps: [wiring.adapter.provider] };
  const call = await bridge.startVerification({ ...startRequest(), citizen: caller, officerDevice: caller });
  const templates: string[] = [];
  for (const step of wiring.steps) for (const delivery of await wiring.fake.play(step, call.providerCallId!)) templates.push(delivery.sent.body);
  await sink.close();
  if (templates.length === 0) throw new Error(`the ${provider} fake sent no deliveries`);
  return {
    provider,
    names: [wiring.adapter.provider, ...(wiring.adapter.aliases ?? [])],
    bridge,
    store,
    signer: wiring.signer,
    forger: wiring.forger,
    verificationId: call.id,
    templates: [...templates, ...(wiring.extraTemplates ?? [])],
    freshen: wiring.freshen ?? ((template) => template),
    async close() {
      await bridge.close();
      await wiring.fake.close();
      await store.close();
    },
  };
}
