import { createHash } from 'node:crypto';
import type { ParticipantRole, ProviderEvent } from '../adapter.js';
import type { AuditEntry } from '../audit/entry.js';
import type { CallState } from '../call-state.js';
import { BridgeError, ERROR_CODES, type ErrorCode } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { OfficerCheck } from '../officer-directory.js';
import type { RecordedOutcome } from '../outcome.js';
import type { RouteDecision } from '../routing/router.js';
import type { Verification } from '../types.js';

/**
 * What a call is, as its log entries say: the one place a call's state comes from, whether the entries
 * were just written by this process or read back from the store after another server wrote them.
 */
export class CallView {
  /** Where the call is in its life. */
  state: CallState = 'requested';
  /** The verification, once its opening entry is seen. */
  verification: Verification | undefined;
  /** The latest routing decision. */
  decision: RouteDecision | undefined;
  /** The provider's id for the call, once created. */
  providerCallId: string | undefined;
  /** The lease epoch the call holds its device with (changes when a server adopts it). */
  epoch: number | undefined;
  /** Why the call failed. */
  failure: BridgeError | undefined;
  /** The supervisor's outcome. */
  outcome: RecordedOutcome | undefined;
  /** Whether the call ever connected: `verified` needs it. */
  everConnected = false;
  /** Every entry of the verification seen so far, in index order. */
  readonly entries: AuditEntry[] = [];
  private readonly present = new Map<string, ParticipantRole>();

  /** Index of the newest entry seen, or -1. */
  get lastIndex(): number {
    return this.entries.at(-1)?.index ?? -1;
  }

  /** Takes in one entry of the verification; returns its transition, if it has one. Entries already seen are skipped. */
  apply(entry: AuditEntry): { from: CallState; to: CallState } | undefined {
    if (entry.index <= this.lastIndex) return undefined;
    this.entries.push(entry);
    const data = entry.data;
    if (entry.type === 'verification.created') this.verification = verificationFrom(entry);
    if (entry.type === 'route.decided') this.decision = decisionFrom(data, entry.verificationId!);
    if (entry.type === 'route.decided' && this.decision?.kind === 'call') this.epoch = this.decision.lease.epoch;
    if (entry.type === 'route.decided' && this.decision?.kind === 'phone-fallback') this.failure = fallbackFailure(this.decision);
    if (entry.type === 'call.created') this.providerCallId = String(data.providerCallId);
    if (entry.type === 'call.adopted' && typeof data.epoch === 'number') this.epoch = data.epoch;
    if (entry.type === 'outcome.recorded') this.outcome = outcomeFrom(entry);
    if (isObject(data.error) && isObject(data.transition) && data.transition.to === 'failed') this.failure = failureFrom(data.error);
    if (isObject(data.participant)) this.notePresence(entry.type, data.participant);
    const transition = isObject(data.transition) && typeof data.transition.to === 'string' ? (data.transition as { from: CallState; to: CallState }) : undefined;
    if (transition === undefined) return undefined;
    this.state = transition.to;
    if (transition.to === 'connected') this.everConnected = true;
    return transition;
  }

  /** Whether both sides would be in the call once this participant event is taken in. */
  bothSidesPresentAfter(event: ProviderEvent): boolean {
    const present = new Map(this.present);
    if (event.participant !== undefined) {
      const data = participantData(event.participant);
      applyPresence(present, event.type, event.participant.role, String(data.key ?? data.role));
    }
    const roles = [...present.values()];
    if (roles.includes('ops-device') && roles.includes('other-side')) return true;
    return roles.includes('unknown') && present.size >= 2;
  }

  private notePresence(type: string, participant: JsonObject): void {
    const role = String(participant.role) as ParticipantRole;
    applyPresence(this.present, type, role, typeof participant.key === 'string' ? participant.key : role);
  }
}

/**
 * What the log keeps of a participant: the side, and the provider's id for them only as a hash prefix,
 * enough to tell a rejoin from a second person without holding the id itself.
 */
export function participantData(participant: NonNullable<ProviderEvent['participant']>): JsonObject {
  const id = participant.providerParticipantId;
  return id === undefined ? { role: participant.role } : { role: participant.role, key: createHash('sha256').update(id).digest('hex').slice(0, 16) };
}

function applyPresence(present: Map<string, ParticipantRole>, type: string, role: ParticipantRole, key: string): void {
  if (type === 'participant.joined') present.set(key, role);
  if (type === 'participant.left') present.delete(key);
}

function verificationFrom(entry: AuditEntry): Verification {
  const d = entry.data;
  return {
    id: entry.verificationId!,
    reference: String(d.reference),
    referenceExpiresAt: String(d.referenceExpiresAt),
    officer: d.officer as unknown as Verification['officer'],
    reason: String(d.reason),
    ...(isObject(d.location) ? { location: d.location as unknown as NonNullable<Verification['location']> } : {}),
    flow: d.flow as Verification['flow'],
    createdAt: String(d.createdAt),
    officerCheck: d.officerCheck as unknown as OfficerCheck,
  };
}

function decisionFrom(data: JsonObject, holder: string): RouteDecision {
  const base = {
    rejected: data.rejected as unknown as RouteDecision['rejected'],
    fallback: data.fallback as unknown as RouteDecision['fallback'],
  };
  if (data.kind !== 'call' || !isObject(data.lease)) return { kind: 'phone-fallback', ...base };
  const lease = data.lease;
  return {
    kind: 'call',
    ...base,
    chosen: data.chosen as unknown as Extract<RouteDecision, { kind: 'call' }>['chosen'],
    lease: { deviceId: String(lease.deviceId), holder, epoch: Number(lease.epoch), expiresAtMs: Date.parse(String(lease.expiresAt)) },
  };
}

/** The failure a phone fallback stands for; busy devices alone are told apart, since trying again soon may work. */
export function fallbackFailure(decision: Extract<RouteDecision, { kind: 'phone-fallback' }>): BridgeError {
  const onlyBusy = decision.rejected.length > 0 && decision.rejected.every((r) => r.reason === 'device-busy');
  return onlyBusy
    ? new BridgeError('DEVICE_BUSY', 'every ops device that could take the call is on another call; offer the phone numbers')
    : new BridgeError('NO_ROUTE', 'no provider and device could take the call; offer the phone numbers');
}

function failureFrom(summary: JsonObject): BridgeError {
  const code = (ERROR_CODES as readonly string[]).includes(String(summary.code)) ? (summary.code as ErrorCode) : 'PROVIDER_UNAVAILABLE';
  return new BridgeError(code, String(summary.message ?? 'the call failed'), typeof summary.provider === 'string' ? { provider: summary.provider } : {});
}

function outcomeFrom(entry: AuditEntry): RecordedOutcome {
  const { supervisor, outcome, note } = entry.data as unknown as RecordedOutcome;
  return { supervisor, outcome, ...(note === undefined ? {} : { note }), at: entry.at, entryIndex: entry.index };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
