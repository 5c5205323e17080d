import { randomBytes } from 'node:crypto';
import { readAuditLog, verifyAuditLog } from './audit/access.js';
import type { AuditEntry, AuditEntryInput } from './audit/entry.js';
import { eraseExpiredPersonalData } from './audit/erasure.js';
import type { AppendOptions } from './audit/store.js';
import { readBridgeSettings } from './bridge-settings.js';
import { isTerminal } from './call-state.js';
import type { Bridge, BridgeEvents, BridgeOptions } from './bridge-types.js';
import { CallKeeper } from './calls/call-keeper.js';
import { CallRegistry } from './calls/call-registry.js';
import { callRuntime } from './calls/bridge-call-runtime.js';
import { startVerification } from './calls/start-verification.js';
import type { TerminatedCall } from './calls/call-runtime.js';
import type { VerificationCall } from './calls/verification-call.js';
import { TypedEmitter } from './emitter.js';
import { attachLogger } from './bridge-logger.js';
import { leaseTaker } from './calls/lease-taker.js';
import { BridgeError, toBridgeError } from './errors.js';
import { EvidenceSealer } from './evidence/sealing.js';
import { liveCallDirectory, ProviderIngress } from './ingress/provider-ingress.js';
import { PollLoops } from './poller.js';
import { registerLinks } from './device-links.js';
import { lookUpReference } from './reference-lookup.js';
import { BackgroundWork } from './scheduling/background-work.js';
import { runSharedJob } from './scheduling/job-lease.js';

export type { Bridge, BridgeEvents, BridgeOptions, IncomingWebhook, WebhookRejection } from './bridge-types.js';
export type { BridgeLogger, BridgeLogRecord } from './bridge-logger.js';

const HOUR = 3_600_000;

/** Builds a bridge; configuration errors (bad rooms, unknown providers, short key) throw INVALID_CONFIG here. */
export function createBridge(options: BridgeOptions): Bridge {
  const settings = readBridgeSettings(options);
  const { store, clock } = settings;
  const serverId = options.serverId ?? `server-${randomBytes(6).toString('hex')}`;
  const emitter = new TypedEmitter<BridgeEvents>((error) => report(error));
  if (options.logger) attachLogger(emitter, options.logger);
  const work = new BackgroundWork((error) => report(error));
  const stops = new Set<() => void>();
  const polls = new PollLoops();
  const jobs: Array<() => Promise<void>> = [];
  let closed = false;
  const now = () => clock.now();

  function report(error: unknown): void {
    emitter.emit('background-error', toBridgeError(error, 'STORE_FAILED', 'background work failed'));
  }

  async function append(input: AuditEntryInput, appendOptions?: AppendOptions): Promise<AuditEntry> {
    const data = options.sandbox ? { ...input.data, sandbox: true } : input.data;
    try {
      return await store.append({ ...input, data }, now(), appendOptions);
    } catch (error) {
      throw toBridgeError(error, 'STORE_FAILED', `the ${store.kind} store could not append ${input.type}`);
    }
  }

  const adapterFor = settings.adapterFor;
  const takeLease = leaseTaker({ store, append, report, track: (job) => work.track(job) });
  const sealer = new EvidenceSealer({
    store,
    append,
    work,
    signer: options.checkpoints?.signer,
    everyMs: settings.checkpointEveryMs,
    now,
    signed: (checkpoint) => emitter.emit('checkpoint', checkpoint),
  });
  const runtime = callRuntime({ store, append, adapterFor, work, report, sealer, poll: (...args) => ingress.poll(...args), terminated });
  const registry = new CallRegistry(store, runtime, now);
  const ingress = new ProviderIngress({ adapterFor, append, registry, personalData: settings.personalData });
  const keeper = new CallKeeper({ store, takeLease, serverId, adoptAfterMs: settings.adoptAfterMs, now, registry, onAdopted: pollWhileOwned, report });

  // Polling providers are asked about a live call on a schedule, by the one server carrying it.
  function pollWhileOwned(call: VerificationCall): void {
    const provider = call.provider;
    const adapter = provider === undefined ? undefined : adapterFor(provider);
    if (adapter?.capabilities.lifecycle !== 'polling' || call.providerCallId === undefined) return;
    const providerCallId = call.providerCallId;
    const isDone = () => closed || !keeper.owns(call.id) || isTerminal(call.state);
    polls.start({
      schedule: { delaysMs: settings.pollDelaysMs, untilMs: call.expiresAtMs ?? now() },
      now,
      // A poll already scheduled when the call ended is skipped: the final poll is the ending server's.
      poll: async () => {
        if (!isDone()) await ingress.poll(call.id, adapter.provider, providerCallId);
      },
      isDone,
      onError: report,
    });
  }

  // This server wrote the call's final state (the store released its device with it): a last poll and the seal.
  async function terminated(call: TerminatedCall): Promise<void> {
    keeper.disown(call.id);
    // Only polling adapters have anything to poll; for the others this logs nothing.
    if (call.provider && call.providerCallId) work.track(ingress.poll(call.id, call.provider, call.providerCallId), call.id);
    if (sealer.enabled) work.track(sealer.sealAndSign(call.id));
  }

  // Client-library adapters (a WhatsApp Web session) push events as they happen; they are the app's own session, not a webhook to verify.
  for (const adapter of options.adapters) {
    if (!adapter.subscribeEvents) continue;
    const calls = liveCallDirectory(store, adapter.provider);
    stops.add(adapter.subscribeEvents((events) => work.track(ingress.logFromProvider(adapter, events)), calls));
  }
  keeper.start();
  const jobContext = { store, takeLease, serverId, now, track: (job: Promise<unknown>) => work.track(job) };
  if (sealer.enabled) {
    jobs.push(runSharedJob({ name: 'checkpoint', everyMs: Math.min(settings.checkpointEveryMs, HOUR), run: () => sealer.signIfDue() }, jobContext));
  }
  const erase = () => eraseExpiredPersonalData(store, append, { actor: 'sdk:retention', nowMs: now() });
  jobs.push(runSharedJob({ name: 'retention', everyMs: HOUR, run: erase }, jobContext));

  return {
    serverId,
    startVerification(input) {
      if (closed) return Promise.reject(new BridgeError('INVALID_CONFIG', 'the bridge is closed'));
      return startVerification(input, {
        ...settings,
        store,
        registry,
        keeper,
        serverId,
        now,
        report,
        officerDirectory: options.officerDirectory,
        // The router only picks registered adapters, so the lookup always finds one.
        adapterFor: (provider) => adapterFor(provider)!,
        acquireLease: (room, holder) => takeLease({ deviceId: room.device.id, holder, ttlMs: settings.adoptAfterMs, nowMs: now() }),
        releaseLease: (deviceId, holder) => store.releaseLease(deviceId, holder),
        track: (w, verificationId) => work.track(w, verificationId),
        created: pollWhileOwned,
      });
    },
    call: (verificationId) => registry.held(verificationId),
    getCall: (verificationId) => registry.get(verificationId),
    handleWebhook: (provider, request) =>
      ingress.handleWebhook(provider, { ...request, receivedAtMs: request.receivedAtMs ?? now() }, (rejected) => emitter.emit('webhook-rejected', rejected)),
    registerLinks: (provider, request) => registerLinks(provider, request, { adapterFor, append }),
    // Options are read inside, never destructured here: a missing one is INVALID_INPUT, not a TypeError.
    erasePersonalData: (request) => eraseExpiredPersonalData(store, append, { actor: request?.actor, nowMs: now() }),
    lookUpReference: (reference, lookup) => lookUpReference(store, append, { reference, actor: lookup?.actor, nowMs: now() }),
    readLog: (readOptions) => readAuditLog(store, append, readOptions),
    verifyLog: (request) => verifyAuditLog(store, append, request),
    signCheckpoint: () => sealer.signCheckpoint(),
    on: (event, listener) => emitter.on(event, listener),
    idle: () => work.idle(),
    async close() {
      closed = true;
      for (const stop of stops) stop();
      stops.clear();
      polls.stopAll();
      await keeper.stop();
      await work.idle();
      await Promise.all(jobs.map((stop) => stop().catch(report)));
    },
  };
}
