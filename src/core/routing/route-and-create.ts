import { performance } from 'node:perf_hooks';
import type { CallAdapter, CreatedCall, CreateCallRequest } from '../adapter.js';
import type { DeviceLease } from '../audit/store.js';
import { createdCallData, decisionData } from '../bridge-entries.js';
import type { VerificationCall } from '../calls/verification-call.js';
import { formatInstant } from '../clock.js';
import { BridgeError, toBridgeError } from '../errors.js';
import { normalizeProviderTime } from '../provider-time.js';
import type { ParsedStart } from '../start-input.js';
import type { OpsRoom } from '../types.js';
import { decideRoute, otherSideOf, type RejectedCandidate, type RouteDecision } from './router.js';

/** How long a create may take, and how long failing over may take once one has failed. */
export interface FailoverOptions {
  /** A create that has not answered by then is cut off and the next route tried. @default 5000 */
  attemptTimeoutMs?: number;
  /** Every further route must be tried within this long after the first failure is known. @default 2000 */
  budgetMs?: number;
}

/** What routing and creating needs from the bridge. @internal */
export interface RouteAndCreateContext {
  /** Registered adapters, the force's order and the emergency number. */
  adapters: readonly CallAdapter[];
  preference: readonly string[];
  emergencyNumber: string;
  /** The adapter under a provider id. */
  adapterFor(provider: string): CallAdapter;
  /** Takes a room's device for the verification. */
  acquireLease(room: OpsRoom, verificationId: string): Promise<DeviceLease | null>;
  /** Gives a device back. */
  releaseLease(deviceId: string, verificationId: string): Promise<unknown>;
  /** Keeps work no caller waits for (cleaning up a create that answered after its timeout). */
  track(work: Promise<unknown>, verificationId: string): void;
  /** Cut-off and budget, already checked. */
  failover: Required<FailoverOptions>;
}

type CallRoute = Extract<RouteDecision, { kind: 'call' }>;

/**
 * Routes the call and creates it at the provider. When a create fails (an error, or no answer within
 * the attempt's cut-off) the attempt is logged, and the next route in the force's order is tried
 * within the failover budget; only when every route has failed does the citizen get the phone fallback.
 */
export async function routeAndCreate(
  call: VerificationCall,
  request: ParsedStart,
  rooms: readonly OpsRoom[],
  expiresAtMs: number,
  context: RouteAndCreateContext,
): Promise<void> {
  const failed: RejectedCandidate[] = [];
  let deadline: number | undefined;
  let decision = await decide(call, request, rooms, failed, context);
  await call.routed(decision, decisionData(decision));
  while (decision.kind === 'call') {
    const timeoutMs = deadline === undefined ? context.failover.attemptTimeoutMs : Math.min(context.failover.attemptTimeoutMs, deadline - performance.now());
    const attempt = await createWithin(call, request, decision, expiresAtMs, Math.max(0, timeoutMs), context);
    if (attempt.ok) {
      await call.createdBy(attempt.created, createdEntry(decision.chosen.provider, attempt.created, attempt.durationMs));
      return;
    }
    deadline ??= performance.now() + context.failover.budgetMs;
    const { chosen } = decision;
    failed.push({ provider: chosen.provider, roomId: chosen.roomId, reason: 'create-failed', detail: `${chosen.provider} on ${chosen.roomName}: ${attempt.error.message}` });
    const next = performance.now() < deadline ? await decide(call, request, rooms, failed, context) : undefined;
    if (next?.kind !== 'call' || next.chosen.deviceId !== chosen.deviceId) await context.releaseLease(chosen.deviceId, call.id);
    const failure = { type: 'call.create-failed', source: 'sdk' as const, provider: chosen.provider };
    const data = { error: attempt.error.toSummary(), durationMs: attempt.durationMs, tried: failed.map((f) => ({ ...f })) };
    if (next?.kind !== 'call') {
      await call.record({ ...failure, data }, 'failed');
      return;
    }
    await call.record({ ...failure, data: { ...data, failover: { provider: next.chosen.provider, roomId: next.chosen.roomId } } });
    await call.routed(next, decisionData(next));
    decision = next;
  }
}

function decide(call: VerificationCall, request: ParsedStart, rooms: readonly OpsRoom[], failed: readonly RejectedCandidate[], context: RouteAndCreateContext) {
  return decideRoute({
    flow: request.flow,
    caller: request.caller,
    rooms,
    adapters: context.adapters,
    preference: context.preference,
    emergencyNumber: context.emergencyNumber,
    acquireLease: (room) => context.acquireLease(room, call.id),
    failed,
  });
}

type Attempt = { ok: true; created: CreatedCall; durationMs: number } | { ok: false; error: BridgeError; durationMs: number };

async function createWithin(
  call: VerificationCall,
  request: ParsedStart,
  decision: CallRoute,
  expiresAtMs: number,
  timeoutMs: number,
  context: RouteAndCreateContext,
): Promise<Attempt> {
  const adapter = context.adapterFor(decision.chosen.provider);
  const started = performance.now();
  const creating = adapter.createCall(createRequest(call, request, decision, expiresAtMs));
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const result = await Promise.race([creating, cutOff]);
    if (result !== 'timeout') return { ok: true, created: result, durationMs: elapsed(started) };
    // The provider may still make the call after we stopped waiting: end it there when it does.
    context.track(creating.then((late) => adapter.endCall({ verificationId: call.id, providerCallId: late.providerCallId }), () => undefined), call.id);
    const error = new BridgeError('PROVIDER_UNAVAILABLE', `${adapter.provider} did not answer the create within ${Math.round(timeoutMs)} ms`, {
      provider: adapter.provider,
      isRetryable: true,
    });
    return { ok: false, error, durationMs: elapsed(started) };
  } catch (error) {
    return { ok: false, error: toBridgeError(error, 'PROVIDER_UNAVAILABLE', `${adapter.provider} could not create the call`, adapter.provider), durationMs: elapsed(started) };
  } finally {
    clearTimeout(timer);
  }
}

function createRequest(call: VerificationCall, request: ParsedStart, decision: CallRoute, expiresAtMs: number): CreateCallRequest {
  const otherSide = otherSideOf(request.caller, decision.chosen.access);
  const callback = request.flow === 'callback' && request.citizenPhoneNumber !== undefined;
  return {
    verificationId: call.id,
    flow: request.flow,
    device: { id: decision.chosen.deviceId, handle: decision.chosen.handle },
    otherSide: callback ? { ...otherSide, phoneNumber: request.citizenPhoneNumber! } : otherSide,
    expiresAt: formatInstant(expiresAtMs),
    reference: call.verification.reference,
  };
}

function createdEntry(provider: string, created: CreatedCall, durationMs: number) {
  return {
    type: 'call.created',
    source: 'sdk' as const,
    provider,
    ...providerTimeOf(created),
    data: createdCallData(created, durationMs),
  };
}

// The provider's creation time is extra evidence: one it wrote unreadably is left out, never a reason
// to lose a call that exists at the provider.
function providerTimeOf(created: CreatedCall): { providerAt?: string } {
  if (!created.providerCreatedAt) return {};
  try {
    return { providerAt: normalizeProviderTime(created.providerCreatedAt) };
  } catch {
    return {};
  }
}

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
