import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBridge,
  isInstant,
  type AuditEntry,
  type Bridge,
  type BridgeEvents,
  type BridgeStore,
  type CallAdapter,
  type CallState,
  type CallerCapabilities,
  type Flow,
  type VerificationCall,
} from '../index.js';
import memoryStore from '../stores/memory.js';
import type { ProviderFake } from './provider-fake.js';
import { startWebhookReceiver } from './webhook-receiver.js';

/** The named tests of the conformance kit; an adapter opts out of one only with a reason. */
export type ConformanceTest =
  | 'creates-call'
  | 'lifecycle-from-provider-events'
  | 'lifecycle-from-operator'
  | 'ends-call'
  | 'rejects-bad-signature'
  | 'rejects-stale-timestamp'
  | 'rejects-unsigned'
  | 'ignores-replay'
  | 'provider-401-marks-unhealthy'
  | 'provider-404-on-end-is-done'
  | 'provider-429-retried-after-wait'
  | 'provider-429-storm-falls-back'
  | 'provider-5xx-create-not-retried'
  | 'provider-5xx-end-retried'
  | 'recording-evidence'
  | 'no-secrets-in-log';

/** A fresh fake and an adapter wired to it, for one test. */
export interface HarnessInstance {
  /** The adapter under test. */
  adapter: CallAdapter;
  /** Its provider's fake. */
  fake: ProviderFake;
  /** The ops device's handle on this provider. */
  deviceHandle: string;
  /** Secret values (API keys, signing secrets) that must never reach the log. */
  secrets: string[];
}

/** What an adapter author gives the kit. */
export interface TestAdapterOptions {
  /** Suite name. @default the adapter's provider id */
  name?: string;
  /** Builds a fresh fake and adapter; `sleep` must be passed to the adapter so retries are recorded, not waited. */
  setup(context: { sleep: (ms: number) => Promise<void> }): Promise<HarnessInstance>;
  /** Tests this adapter cannot pass by its nature, each with the reason. */
  optOut?: Partial<Record<ConformanceTest, string>>;
  /** The store to run against. @default a memory store */
  createStore?: () => BridgeStore;
}

interface Environment extends HarnessInstance {
  bridge: Bridge;
  store: BridgeStore;
  sleeps: number[];
  rejections: BridgeEvents['webhook-rejected'][];
  start(): Promise<VerificationCall>;
  states(call: VerificationCall): CallState[];
  logSize(): Promise<number>;
}

/**
 * One shared suite that every adapter runs through the bridge, against its provider's fake: create;
 * lifecycle by provider events (webhooks, or polls for `polling` adapters) or by operator
 * attestation; end; bad signature, stale timestamp, replay; provider 401/404/429/5xx; recording
 * where declared. Capability-gated tests skip themselves.
 */
export function testAdapter(options: TestAdapterOptions): void {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  });

  async function open(): Promise<Environment> {
    const sleeps: number[] = [];
    const instance = await options.setup({ sleep: async (ms) => void sleeps.push(ms) });
    cleanups.push(() => instance.fake.close());
    // As an app waits at boot: the tests below start from an adapter that has prepared what it prepares.
    await instance.adapter.ready?.();
    const store = (options.createStore ?? memoryStore)();
    cleanups.push(() => store.close());
    const { adapter } = instance;
    const bridge = createBridge({
      store,
      adapters: [adapter],
      rooms: [
        {
          id: 'conformance-room',
          name: 'Conformance ops room',
          publishedPhoneNumber: '+442072221234',
          device: { id: 'conformance-device', handles: { [adapter.provider]: instance.deviceHandle } },
        },
      ],
      personalDataKey: randomBytes(32),
      sandbox: true,
    });
    cleanups.push(() => bridge.close());
    const rejections: BridgeEvents['webhook-rejected'][] = [];
    bridge.on('webhook-rejected', (report) => rejections.push(report));
    const receiver = await startWebhookReceiver(bridge);
    cleanups.push(() => receiver.close());
    instance.fake.deliverWebhooksTo(receiver.urlFor(adapter.provider));
    return {
      ...instance,
      bridge,
      store,
      sleeps,
      rejections,
      start: () => bridge.startVerification(startInput(adapter)),
      states: (call) => call.timeline().flatMap((entry) => stateReached(entry) ?? []),
      logSize: async () => (await store.head()).size,
    };
  }

  const capabilityOf = (check: (adapter: CallAdapter) => boolean) => async (env: Environment) => check(env.adapter);
  const declared = (name: ConformanceTest, body: (env: Environment) => Promise<void>, requires?: (env: Environment) => Promise<boolean>) => {
    const reason = options.optOut?.[name];
    if (reason !== undefined) {
      it.skip(`${name} (opted out: ${reason})`, () => undefined);
      return;
    }
    it(name, async (context) => {
      const env = await open();
      if (requires && !(await requires(env))) {
        context.skip(`${name} does not apply: the adapter does not declare the capability`);
        return;
      }
      await body(env);
    });
  };
  const webhookLifecycle = capabilityOf((a) => a.capabilities.lifecycle === 'webhook');
  const providerLifecycle = capabilityOf((a) => hasProviderEvents(a));

  describe(`${options.name ?? 'adapter'} conformance`, () => {
    declared('creates-call', async (env) => {
      const call = await env.start();
      expect(call.state).toBe('created');
      expect(call.join?.otherSide.url).toMatch(/\S/);
      expect(call.join?.opsDevice.url).toMatch(/\S/);
      expect(env.fake.holdsCall(call.providerCallId!)).toBe(true);
      expect(call.timeline().map((e) => e.type)).toEqual(['verification.created', 'route.decided', 'call.created']);
      expect((await env.store.currentLease('conformance-device', Date.now()))?.holder).toBe(call.verification.id);
      const second = await env.start();
      expect(second.state).toBe('failed');
      expect(second.decision?.rejected.map((r) => r.reason)).toContain('device-busy');
      expect(second.fallback?.opsRoomPhoneNumber).toBe('+442072221234');
    });

    declared(
      'lifecycle-from-provider-events',
      async (env) => {
        const call = await env.start();
        await playAll(env, call, ['ops-joined', 'other-joined']);
        expect(call.state).toBe('connected');
        await call.recordOutcome({ supervisor: { collarNumber: 'SGT1', name: 'Sgt Conformance' }, outcome: 'verified' });
        await playAll(env, call, ['other-left', 'ops-left', 'call-ended']);
        await env.bridge.idle();
        expect(env.states(call)).toEqual(['requested', 'routed', 'created', 'ringing', 'connected', 'ended']);
        const providerEntries = call.timeline().filter((e) => e.source === 'provider');
        expect(providerEntries.length).toBeGreaterThanOrEqual(4);
        for (const entry of providerEntries) {
          expect(isInstant(entry.providerAt)).toBe(true);
          expect(typeof entry.skewMs).toBe('number');
          expect(entry.providerEventId).toMatch(/\S/);
        }
        expect(call.timeline().find((e) => e.type === 'outcome.recorded')?.source).toBe('operator');
        expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
        expect(env.fake.holdsCall(call.providerCallId!)).toBe(false);
        expect((await env.store.verify()).ok).toBe(true);
      },
      providerLifecycle,
    );

    declared(
      'lifecycle-from-operator',
      async (env) => {
        const call = await env.start();
        const supervisor = { collarNumber: 'SGT1', name: 'Sgt Conformance' };
        await playAll(env, call, ['ops-joined', 'other-joined']);
        await call.attest({ fact: 'answered', supervisor });
        await call.attest({ fact: 'connected', supervisor });
        await call.recordOutcome({ supervisor, outcome: 'verified' });
        await playAll(env, call, ['other-left', 'ops-left']);
        await call.attest({ fact: 'ended', supervisor });
        await playAll(env, call, ['call-ended']);
        await env.bridge.idle();
        expect(env.states(call)).toEqual(['requested', 'routed', 'created', 'ringing', 'connected', 'ended']);
        const attested = call.timeline().filter((e) => e.type === 'operator.attested');
        expect(attested.every((e) => e.source === 'operator' && e.actor === 'supervisor:SGT1')).toBe(true);
        expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
        expect(env.fake.holdsCall(call.providerCallId!)).toBe(false);
        expect((await env.store.verify()).ok).toBe(true);
      },
      capabilityOf((a) => a.capabilities.lifecycle === 'operator'),
    );

    declared('ends-call', async (env) => {
      const call = await env.start();
      const result = await call.end({ actor: 'supervisor:SGT1' });
      expect(result.providerCleanup.ok).toBe(true);
      expect(call.state).toBe('ended');
      expect(env.fake.holdsCall(call.providerCallId!)).toBe(false);
      await env.bridge.idle();
      expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
      await expect(call.recordOutcome({ supervisor: { collarNumber: 'SGT1', name: 'Sgt C' }, outcome: 'verified' })).rejects.toMatchObject({
        code: 'ILLEGAL_TRANSITION',
      });
    });

    for (const [name, tamper] of [
      ['rejects-bad-signature', 'signature'],
      ['rejects-stale-timestamp', 'stale'],
      ['rejects-unsigned', 'unsigned'],
    ] as const) {
      declared(
        name,
        async (env) => {
          const call = await env.start();
          const before = await env.logSize();
          const deliveries = await env.fake.play('ops-joined', call.providerCallId!, { tamper });
          for (const delivery of deliveries) expect(delivery.status).toBe(401);
          expect(call.state).toBe('created');
          expect(await env.logSize()).toBe(before);
          expect(env.rejections.map((r) => r.code)).toContain('WEBHOOK_INVALID');
        },
        webhookLifecycle,
      );
    }

    declared(
      'ignores-replay',
      async (env) => {
        const call = await env.start();
        if (env.adapter.capabilities.lifecycle === 'polling') {
          await playAll(env, call, ['ops-joined']);
          const size = await env.logSize();
          expect(await call.refresh()).toEqual([]);
          expect(await env.logSize()).toBe(size);
          return;
        }
        const [first] = await env.fake.play('ops-joined', call.providerCallId!);
        const size = await env.logSize();
        const again = await env.fake.replay(first!);
        expect(again.status).toBe(200);
        expect(JSON.parse(again.responseBody)).toMatchObject({ duplicates: 1 });
        expect(await env.logSize()).toBe(size);
        expect(env.rejections.map((r) => r.reason)).toContain('replayed');
      },
      providerLifecycle,
    );

    declared('provider-401-marks-unhealthy', async (env) => {
      env.fake.revokeCredentials();
      const call = await env.start();
      expect(call.state).toBe('failed');
      expect(call.failure?.code).toBe('PROVIDER_CREDENTIALS_INVALID');
      expect(call.fallback?.emergencyNumber).toBe('999');
      await env.bridge.idle();
      expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
      const health = await env.adapter.health();
      expect(health).toMatchObject({ ok: false, credentialsInvalid: true });
      const next = await env.start();
      expect(next.decision?.kind).toBe('phone-fallback');
      expect(next.decision?.rejected.map((r) => r.reason)).toContain('provider-unhealthy');
    });

    declared('provider-404-on-end-is-done', async (env) => {
      const call = await env.start();
      env.fake.failNext('end', { status: 404 });
      const result = await call.end();
      expect(result.providerCleanup.ok).toBe(true);
      expect(call.state).toBe('ended');
    });

    declared('provider-429-retried-after-wait', async (env) => {
      env.fake.failNext('create', { status: 429, headers: { 'retry-after': '2' } });
      const call = await env.start();
      expect(call.state).toBe('created');
      expect(env.sleeps).toContain(2000);
    });

    declared('provider-429-storm-falls-back', async (env) => {
      env.fake.failNext('create', { status: 429, times: 50, headers: { 'retry-after': '1' } });
      const call = await env.start();
      expect(call.state).toBe('failed');
      expect(call.failure?.code).toBe('PROVIDER_UNAVAILABLE');
      expect(call.fallback).toMatchObject({ opsRoomPhoneNumber: '+442072221234', emergencyNumber: '999' });
      // Bounded: a few waits as the provider asked, then the phone numbers rather than a citizen left waiting.
      expect(env.sleeps.length).toBeGreaterThan(0);
      expect(env.sleeps.length).toBeLessThanOrEqual(5);
      await env.bridge.idle();
      expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
      expect((await env.store.verify()).ok).toBe(true);
    });

    declared('provider-5xx-create-not-retried', async (env) => {
      env.fake.failNext('create', { status: 503 });
      const call = await env.start();
      expect(call.state).toBe('failed');
      expect(call.failure?.code).toBe('PROVIDER_UNAVAILABLE');
      expect(env.sleeps).toEqual([]);
      await env.bridge.idle();
      expect(await env.store.currentLease('conformance-device', Date.now())).toBeNull();
    });

    declared('provider-5xx-end-retried', async (env) => {
      const call = await env.start();
      env.fake.failNext('end', { status: 502 });
      const result = await call.end();
      expect(result.providerCleanup.ok).toBe(true);
      expect(env.sleeps.length).toBeGreaterThan(0);
      expect(env.fake.holdsCall(call.providerCallId!)).toBe(false);
    });

    declared(
      'recording-evidence',
      async (env) => {
        const call = await env.start();
        await playAll(env, call, ['ops-joined', 'other-joined', 'recording-ready']);
        const entry = call.timeline().find((e) => e.type === 'recording.ready');
        expect(entry?.source).toBe('provider');
        expect(isInstant(entry?.providerAt)).toBe(true);
      },
      capabilityOf((a) => a.capabilities.recording && hasProviderEvents(a)),
    );

    declared('no-secrets-in-log', async (env) => {
      const call = await env.start();
      if (hasProviderEvents(env.adapter)) await playAll(env, call, ['ops-joined', 'other-joined']);
      await call.end();
      const logText = JSON.stringify(await env.store.readEntries());
      const tokens = [call.join?.otherSide.token, call.join?.opsDevice.token].filter((t): t is string => t !== undefined);
      for (const secret of [...env.secrets, ...tokens]) expect(logText).not.toContain(secret);
    });
  });
}

async function playAll(env: Environment, call: VerificationCall, steps: Parameters<ProviderFake['play']>[0][]): Promise<void> {
  for (const step of steps) {
    for (const delivery of await env.fake.play(step, call.providerCallId!)) {
      expect(delivery.status, `${step}: ${delivery.responseBody}`).toBe(200);
    }
    // A polling provider's fake only changes its API's record; the bridge learns of it when it asks.
    if (env.adapter.capabilities.lifecycle === 'polling') await call.refresh();
  }
}

function hasProviderEvents(adapter: CallAdapter): boolean {
  return adapter.capabilities.lifecycle === 'webhook' || adapter.capabilities.lifecycle === 'polling';
}

function startInput(adapter: CallAdapter) {
  const { capabilities } = adapter;
  const flow: Flow = capabilities.flows.includes('citizen-device') ? 'citizen-device' : capabilities.flows[0]!;
  const platform = capabilities.platforms[0]!;
  const access = capabilities.accessByPlatform?.[platform] ?? capabilities.access;
  const caller: CallerCapabilities = {
    platform,
    apps: access === 'app' ? [adapter.provider] : [],
    browser: true,
  };
  return {
    officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Conformance', force: 'Sandbox Constabulary' },
    reason: 'Conformance test of the verification call flow',
    flow,
    citizen: { ...caller, ...(flow === 'callback' ? { phoneNumber: '+447911123456' } : {}) },
    officerDevice: caller,
  };
}

function stateReached(entry: AuditEntry): CallState | undefined {
  const transition = entry.data.transition as { to?: CallState } | undefined;
  return transition?.to;
}
