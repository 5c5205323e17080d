import { performance } from 'node:perf_hooks';
import type { CallAdapter, CreateCallRequest, ProviderEvent } from './adapter.js';
import { readAuditLog, verifyAuditLog } from './audit/access.js';
import { latestCheckpoint, type LoggedCheckpoint } from './audit/checkpoint-log.js';
import type { AuditEntry, AuditEntryInput } from './audit/entry.js';
import { eraseExpiredPersonalData } from './audit/erasure.js';
import { sealVerification } from './audit/seal.js';
import { checkAdapters, checkPreference, checkRooms, knownProviderNames } from './bridge-config.js';
import { createdEntry, decisionData, withoutSecrets } from './bridge-entries.js';
import type { Bridge, BridgeEvents, BridgeOptions } from './bridge-types.js';
import { formatInstant, systemClock } from './clock.js';
import { TypedEmitter } from './emitter.js';
import { BridgeError, invalidInput, toBridgeError } from './errors.js';
import { checkOfficer } from './officer-directory.js';
import { createPersonalDataHasher } from './personal-data.js';
import { DEFAULT_POLL_DELAYS_MS, isPollDelays, startPollLoop } from './poller.js';
import { normalizeProviderTime } from './provider-time.js';
import { newVerificationId, newVerificationReference } from './reference.js';
import { lookUpReference } from './reference-lookup.js';
import { decideRoute, otherSideOf, type RouteDecision } from './router.js';
import { parseStartInput, type StartVerificationInput } from './start-input.js';
import type { OpsRoom, Verification } from './types.js';
import { VerificationCall, type CallRuntime, type EndResult } from './verification-call.js';
import { handleVerifiedWebhook, logProviderEvents, withProviderTimes } from './webhook-dispatch.js';

export type { Bridge, BridgeEvents, BridgeOptions, IncomingWebhook } from './bridge-types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// Late provider events (Daily's meeting.ended trails by up to 20 s) still find their call for this long.
const FINISHED_CALL_RETENTION_MS = 10 * MINUTE;

/** Builds a bridge; configuration errors (bad rooms, unknown providers, short key) throw INVALID_CONFIG here. */
export function createBridge(options: BridgeOptions): Bridge {
  checkAdapters(options.adapters);
  const providers = knownProviderNames(options.adapters);
  const rooms = checkRooms(options.rooms, providers);
  const preference = checkPreference(options.preference ?? [], providers);
  const personalData = createPersonalDataHasher(options.personalDataKey);
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const callTtlMs = options.callTtlMs ?? 30 * MINUTE;
  const referenceTtlMs = options.referenceTtlMs ?? 15 * MINUTE;
  const personalDataRetentionMs = options.personalDataRetentionMs ?? 30 * 24 * HOUR;
  if (!Number.isSafeInteger(personalDataRetentionMs) || personalDataRetentionMs <= 0) {
    throw new BridgeError('INVALID_CONFIG', 'personalDataRetentionMs must be a positive whole number of milliseconds');
  }
  const emergencyNumber = options.emergencyNumber ?? '999';
  const pollDelaysMs = options.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS;
  if (!isPollDelays(pollDelaysMs)) throw new BridgeError('INVALID_CONFIG', 'pollDelaysMs must list positive whole milliseconds');
  const { checkpoints } = options;
  const checkpointEveryMs = checkpoints?.everyMs ?? 24 * HOUR;
  if (!Number.isSafeInteger(checkpointEveryMs) || checkpointEveryMs <= 0) {
    throw new BridgeError('INVALID_CONFIG', 'checkpoints.everyMs must be a positive whole number of milliseconds');
  }
  const stopPolls = new Set<() => void>();
  const calls = new Map<string, VerificationCall>();
  const callsByProviderId = new Map<string, VerificationCall>();
  const pending = new Set<Promise<unknown>>();
  // Each call's own background work, so its seal can wait for the entries that work still has to log.
  const callWork = new Map<string, Set<Promise<unknown>>>();
  const evictions = new Set<NodeJS.Timeout>();
  const emitter = new TypedEmitter<BridgeEvents>((error) => reportBackgroundError(error));
  let closed = false;

  function reportBackgroundError(error: unknown): void {
    emitter.emit('background-error', toBridgeError(error, 'STORE_FAILED', 'background work failed'));
  }

  function track(work: Promise<unknown>, verificationId?: string): void {
    const settled = work.catch(reportBackgroundError).finally(() => {
      pending.delete(settled);
      const own = verificationId === undefined ? undefined : callWork.get(verificationId);
      own?.delete(settled);
      if (own?.size === 0) callWork.delete(verificationId!);
    });
    pending.add(settled);
    if (verificationId !== undefined) callWork.set(verificationId, (callWork.get(verificationId) ?? new Set()).add(settled));
  }

  async function signCheckpoint(): Promise<LoggedCheckpoint> {
    if (!checkpoints) throw new BridgeError('INVALID_CONFIG', 'this bridge has no checkpoint signer (options.checkpoints)');
    const signed = await checkpoints.signer.sign(store, append);
    emitter.emit('checkpoint', signed);
    return signed;
  }

  async function sealAndSign(verificationId: string): Promise<void> {
    // Let the call hand over its last work (a provider-ended call logs its cleanup next), then wait for it.
    await new Promise((resolve) => setImmediate(resolve));
    for (let own = callWork.get(verificationId); own && own.size > 0; own = callWork.get(verificationId)) await Promise.all([...own]);
    await sealVerification(store, append, verificationId);
    await signCheckpoint();
  }

  // Evidence after the seal (call records come only after a Teams meeting ends) gets a new seal, so the
  // latest seal, which is what a bundle carries, lists it too. Repeats while one is running coalesce.
  const resealing = new Map<string, { again: boolean }>();
  function resealLater(verificationId: string): void {
    const running = resealing.get(verificationId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    resealing.set(verificationId, state);
    const reseal = async () => {
      try {
        do {
          state.again = false;
          await sealAndSign(verificationId);
        } while (state.again);
      } finally {
        resealing.delete(verificationId);
      }
    };
    track(reseal());
  }

  // Restarts must not postpone the daily checkpoint for ever, so its age is read from the log, not a timer.
  async function signIfDue(): Promise<void> {
    const latest = await latestCheckpoint(store);
    const due = latest ? clock.now() - Date.parse(latest.at) >= checkpointEveryMs : (await store.head()).size > 0;
    if (due && !closed) await signCheckpoint();
  }
  const checkpointTimer = checkpoints ? setInterval(() => track(signIfDue()), Math.min(checkpointEveryMs, HOUR)) : undefined;
  checkpointTimer?.unref();
  const erasureTimer = setInterval(() => track(eraseExpiredPersonalData(store, append, { actor: 'sdk:retention', nowMs: clock.now() })), HOUR);
  erasureTimer.unref();
  if (checkpoints) track(signIfDue());

  async function append(input: AuditEntryInput): Promise<AuditEntry> {
    const data = options.sandbox ? { ...input.data, sandbox: true } : input.data;
    try {
      return await store.append({ ...input, data }, clock.now());
    } catch (error) {
      throw toBridgeError(error, 'STORE_FAILED', `the ${store.kind} store could not append ${input.type}`);
    }
  }

  function adapterFor(provider: string): CallAdapter | undefined {
    return options.adapters.find((a) => a.provider === provider || a.aliases?.includes(provider));
  }

  function providerKey(provider: string, providerCallId: string): string {
    return `${provider}\u0000${providerCallId}`;
  }

  function protect(event: ProviderEvent): ProviderEvent {
    if (event.personalData === undefined) return event;
    const { personalData: identifiers, ...rest } = event;
    const hashes = Object.fromEntries(Object.entries(identifiers).map(([kind, value]) => [`${kind}Hash`, personalData.hash(kind, value)]));
    return { ...rest, evidence: { ...rest.evidence, ...hashes } };
  }

  async function logFromProvider(adapter: CallAdapter, events: readonly ProviderEvent[]): Promise<AuditEntry[]> {
    let timed;
    try {
      timed = withProviderTimes(events.map(protect));
    } catch (error) {
      throw new BridgeError('PROVIDER_REJECTED', `${adapter.provider} reported an unreadable time`, { provider: adapter.provider, cause: error });
    }
    const findCall = (name: string, id: string) => callsByProviderId.get(providerKey(name, id));
    return (await logProviderEvents(adapter.provider, timed, { append, findCall })).logged;
  }

  // Client-library adapters (a WhatsApp Web session) push events as they happen; they are the app's own session, not a webhook to verify.
  const unsubscribes = options.adapters.flatMap((adapter) =>
    adapter.subscribeEvents ? [adapter.subscribeEvents((events) => track(logFromProvider(adapter, events)))] : [],
  );

  async function pollProvider(provider: string, verificationId: string, providerCallId: string): Promise<AuditEntry[]> {
    const adapter = adapterFor(provider)!;
    if (!adapter.pollEvents) return [];
    let events;
    try {
      events = await adapter.pollEvents({ verificationId, providerCallId });
    } catch (error) {
      throw toBridgeError(error, 'PROVIDER_UNAVAILABLE', `${adapter.provider} could not be polled`, adapter.provider);
    }
    return logFromProvider(adapter, events);
  }

  // Polling providers are asked about a live call on a schedule, and once more as it ends for the final record.
  function pollWhileLive(call: VerificationCall, provider: string, providerCallId: string, untilMs: number): void {
    const poll = () => pollProvider(provider, call.verification.id, providerCallId).then(() => undefined);
    const stop = startPollLoop({
      schedule: { delaysMs: pollDelaysMs, untilMs },
      now: () => clock.now(),
      poll,
      isDone: () => closed || call.state === 'ended' || call.state === 'failed',
      onError: reportBackgroundError,
    });
    stopPolls.add(stop);
    call.on('state', ({ to }) => {
      if (to !== 'ended' && to !== 'failed') return;
      stop();
      stopPolls.delete(stop);
      track(poll(), call.verification.id);
    });
  }

  function runtimeFor(verification: Verification, getCall: () => VerificationCall): CallRuntime {
    return {
      append,
      reportBackgroundError,
      track: (work) => track(work, verification.id),
      lateEvidence: () => {
        if (checkpoints) resealLater(verification.id);
      },
      pollProvider: (providerCallId) => pollProvider(getCall().provider!, verification.id, providerCallId),
      async confirmOutcome(providerCallId, outcome) {
        const adapter = adapterFor(getCall().provider!)!;
        if (!adapter.confirmOutcome) return undefined;
        try {
          await adapter.confirmOutcome({
            verificationId: verification.id,
            providerCallId,
            reference: verification.reference,
            outcome: outcome.outcome,
            supervisorCollarNumber: outcome.supervisor.collarNumber,
            at: outcome.at,
          });
          return { ok: true };
        } catch (error) {
          return { ok: false, error: toBridgeError(error, 'PROVIDER_UNAVAILABLE', 'the confirmation could not be sent', adapter.provider).toSummary() };
        }
      },
      async endProviderCall(providerCallId): Promise<EndResult['providerCleanup']> {
        const adapter = adapterFor(getCall().provider!)!;
        const started = performance.now();
        try {
          await adapter.endCall({ verificationId: verification.id, providerCallId });
          return { ok: true, durationMs: elapsed(started) };
        } catch (error) {
          const failure = toBridgeError(error, 'PROVIDER_UNAVAILABLE', 'ending the call failed', adapter.provider);
          return { ok: false, durationMs: elapsed(started), error: failure.toSummary() };
        }
      },
      async terminated() {
        if (checkpoints) track(sealAndSign(verification.id));
        const call = getCall();
        const timer = setTimeout(() => {
          evictions.delete(timer);
          calls.delete(verification.id);
          if (call.provider && call.providerCallId) callsByProviderId.delete(providerKey(call.provider, call.providerCallId));
        }, FINISHED_CALL_RETENTION_MS);
        timer.unref();
        evictions.add(timer);
        // If the release fails the lease still lapses at its TTL; the failure is reported, not hidden.
        if (call.deviceId !== undefined) await store.releaseLease(call.deviceId, verification.id);
      },
    };
  }

  // A reference is read aloud to find one encounter, so no two unexpired ones may be alike.
  function uniqueReference(nowMs: number): string {
    const live = new Set(
      [...calls.values()]
        .filter((c) => Date.parse(c.verification.referenceExpiresAt) > nowMs)
        .map((c) => c.verification.reference),
    );
    let reference = newVerificationReference();
    while (live.has(reference)) reference = newVerificationReference();
    return reference;
  }

  async function registerLinks(provider: string, request: { deviceId: string; links: readonly string[]; actor: string }) {
    const adapter = adapterFor(provider);
    if (!adapter?.registerLinks) throw new BridgeError('NOT_FOUND', `no registered adapter takes links for provider ${provider}`, { provider });
    if (typeof request.actor !== 'string' || request.actor.trim().length === 0) throw invalidInput('registering links needs an actor', { field: 'actor' });
    const base = { source: 'operator' as const, provider: adapter.provider, actor: request.actor.trim() };
    try {
      const result = adapter.registerLinks(request.deviceId, request.links);
      await append({ ...base, type: 'device.links-registered', data: { deviceId: request.deviceId, ...result } });
      return result;
    } catch (error) {
      const failure = toBridgeError(error, 'INVALID_INPUT', 'the links were refused', adapter.provider);
      await append({ ...base, type: 'device.links-refused', data: { deviceId: request.deviceId, offered: request.links.length, error: failure.toSummary() } });
      throw failure;
    }
  }

  async function startVerification(input: StartVerificationInput): Promise<VerificationCall> {
    if (closed) throw new BridgeError('INVALID_CONFIG', 'the bridge is closed');
    const request = parseStartInput(input, providers, personalData);
    const candidateRooms = selectRooms(rooms, request.roomIds);
    const officerCheck = await checkOfficer(options.officerDirectory, request.officer, reportBackgroundError);
    const nowMs = clock.now();
    const verification: Verification = {
      id: newVerificationId(),
      reference: uniqueReference(nowMs),
      referenceExpiresAt: formatInstant(nowMs + referenceTtlMs),
      officer: request.officer,
      reason: request.reason,
      ...(request.location ? { location: request.location } : {}),
      flow: request.flow,
      createdAt: formatInstant(nowMs),
      officerCheck,
    };
    let call: VerificationCall | undefined;
    call = new VerificationCall(verification, runtimeFor(verification, () => call!));
    calls.set(verification.id, call);
    if (request.citizenPhoneNumber !== undefined && request.citizenPhoneNumberHash !== undefined) {
      await store.putPersonalData({
        hash: request.citizenPhoneNumberHash,
        kind: 'phone',
        value: request.citizenPhoneNumber,
        retainUntilMs: nowMs + personalDataRetentionMs,
      });
    }
    await call.opened(createdEntry(verification, request));

    const decision = await decideRoute({
      flow: request.flow,
      caller: request.caller,
      rooms: candidateRooms,
      adapters: options.adapters,
      preference,
      emergencyNumber,
      acquireLease: (room) =>
        store.acquireLease({ deviceId: room.device.id, holder: verification.id, ttlMs: callTtlMs, nowMs: clock.now() }),
    });
    await call.routed(decision, decisionData(decision));
    if (decision.kind === 'call') {
      const otherSide = otherSideOf(request.caller, decision.chosen.access);
      const callback = request.flow === 'callback' && request.citizenPhoneNumber !== undefined;
      await createProviderCall(call, decision, callback ? { ...otherSide, phoneNumber: request.citizenPhoneNumber! } : otherSide, nowMs + callTtlMs);
    }
    return call;
  }

  async function createProviderCall(
    call: VerificationCall,
    decision: Extract<RouteDecision, { kind: 'call' }>,
    otherSide: NonNullable<CreateCallRequest['otherSide']>,
    expiresAtMs: number,
  ): Promise<void> {
    const adapter = adapterFor(decision.chosen.provider)!;
    const started = performance.now();
    try {
      const created = await adapter.createCall({
        verificationId: call.verification.id,
        flow: call.verification.flow,
        device: { id: decision.chosen.deviceId, handle: decision.chosen.handle },
        otherSide,
        expiresAt: formatInstant(expiresAtMs),
        reference: call.verification.reference,
      });
      callsByProviderId.set(providerKey(adapter.provider, created.providerCallId), call);
      await call.createdBy(created, {
        type: 'call.created',
        source: 'sdk',
        provider: adapter.provider,
        ...(created.providerCreatedAt ? { providerAt: normalizeProviderTime(created.providerCreatedAt) } : {}),
        data: {
          providerCallId: created.providerCallId,
          otherSideUrl: withoutSecrets(created.otherSide.url),
          opsDeviceUrl: withoutSecrets(created.opsDevice.url),
          tokensIssued: { otherSide: created.otherSide.token !== undefined, opsDevice: created.opsDevice.token !== undefined },
          durationMs: elapsed(started),
          ...(created.evidence ? { evidence: created.evidence } : {}),
        },
      });
      if (adapter.capabilities.lifecycle === 'polling') pollWhileLive(call, adapter.provider, created.providerCallId, expiresAtMs);
    } catch (error) {
      const failure = toBridgeError(error, 'PROVIDER_UNAVAILABLE', `${adapter.provider} could not create the call`, adapter.provider);
      await call.failedWith(failure, {
        type: 'call.create-failed',
        source: 'sdk',
        provider: adapter.provider,
        data: { error: failure.toSummary(), durationMs: elapsed(started) },
      });
    }
  }

  return {
    startVerification,
    call: (verificationId) => calls.get(verificationId),
    handleWebhook: (provider, request) =>
      handleVerifiedWebhook(provider, { ...request, receivedAtMs: request.receivedAtMs ?? clock.now() }, {
        adapterFor,
        append,
        findCall: (name, providerCallId) => callsByProviderId.get(providerKey(name, providerCallId)),
        reject: (report) => emitter.emit('webhook-rejected', report),
        protect,
      }),
    registerLinks: (provider, request) => registerLinks(provider, request),
    erasePersonalData: ({ actor }) => eraseExpiredPersonalData(store, append, { actor, nowMs: clock.now() }),
    lookUpReference: (reference, { actor }) => lookUpReference(store, append, { reference, actor, nowMs: clock.now() }),
    readLog: (readOptions) => readAuditLog(store, append, readOptions),
    verifyLog: ({ actor }) => verifyAuditLog(store, append, { actor }),
    signCheckpoint,
    on: (event, listener) => emitter.on(event, listener),
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      closed = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
      for (const stop of stopPolls) stop();
      stopPolls.clear();
      if (checkpointTimer) clearInterval(checkpointTimer);
      clearInterval(erasureTimer);
      while (pending.size > 0) await Promise.all([...pending]);
      for (const timer of evictions) clearTimeout(timer);
      evictions.clear();
    },
  };
}

function selectRooms(rooms: OpsRoom[], roomIds: string[] | undefined): OpsRoom[] {
  if (roomIds === undefined) return rooms;
  return roomIds.map((id) => {
    const room = rooms.find((r) => r.id === id);
    if (!room) throw invalidInput(`unknown ops room ${id}`, { field: 'roomIds' });
    return room;
  });
}

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
