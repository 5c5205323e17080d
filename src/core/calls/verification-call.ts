import type { CreatedCall, JoinDetails, ProviderEvent, UniformEventType } from '../adapter.js';
import { ATTESTED_STATES, parseAttestation, type AttestationInput } from '../attestation.js';
import type { AuditEntry } from '../audit/entry.js';
import { assertTransition, canTransition, isAhead, isTerminal, type CallState } from '../call-state.js';
import { TypedEmitter } from '../emitter.js';
import { BridgeError, invalidInput } from '../errors.js';
import type { JsonObject } from '../json.js';
import { parseOutcome, type OutcomeInput, type RecordedOutcome } from '../outcome.js';
import { parseIdentifier } from '../validation.js';
import type { PhoneFallback, RouteDecision } from '../routing/router.js';
import type { OpsRoom, Verification } from '../types.js';
import type { CallFields } from './call-record.js';
import type { CallRuntime, EndResult } from './call-runtime.js';
import { participantData, type CallView } from './call-view.js';
import { CallWriter, type LogRequest } from './call-writer.js';

export type { EndResult } from './call-runtime.js';

/** What a caller can subscribe to on a call. */
export interface CallEvents extends Record<string, unknown> {
  /** Every log entry of this call this handle sees, in order: its own writes and, once synced, other servers'. */
  entry: AuditEntry;
  /** A state change, with the entry that records it. */
  state: { from: CallState; to: CallState; entry: AuditEntry };
  /** The supervisor's outcome was recorded. */
  outcome: RecordedOutcome;
}

/** Join details for both sides of a created call. */
export interface CallJoinDetails {
  /** The citizen's side (or the officer's, in the `officer-device` flow). */
  otherSide: JoinDetails;
  /** The ops room's device. */
  opsDevice: JoinDetails;
}


const EVENT_TARGETS: Readonly<Record<UniformEventType, CallState | undefined>> = {
  'call.started': 'ringing',
  'participant.joined': 'ringing',
  'participant.left': undefined,
  'call.ended': 'ended',
  'recording.ready': undefined,
  'chat.linked': undefined,
};

/**
 * The provider-neutral handle on one verification's call: its state, join details, timeline and outcome.
 * Any server sharing the store can hold one (`bridge.getCall`); every write is checked against the
 * store's row for the call, so a handle that fell behind another server reads the call again and retries.
 */
export class VerificationCall {
  private readonly emitter: TypedEmitter<CallEvents>;
  private readonly writer: CallWriter;
  private readonly view: CallView;
  private created: CreatedCall | undefined;
  private cleanup: Promise<EndResult['providerCleanup']> | undefined;

  /** @internal Calls are made by the bridge (`startVerification`, `getCall`). */
  constructor(
    /** The verification's id. */
    readonly id: string,
    private readonly runtime: CallRuntime,
  ) {
    this.emitter = new TypedEmitter<CallEvents>((error) => runtime.reportBackgroundError(error));
    this.writer = new CallWriter(id, runtime, (entry, transition) => {
      this.emitter.emit('entry', entry);
      if (transition) this.emitter.emit('state', { ...transition, entry });
    });
    this.view = this.writer.view;
  }

  /** The verification this call serves. */
  get verification(): Verification {
    return this.view.verification!;
  }

  /** Where the call is in its life, as of this handle's last write or read. */
  get state(): CallState {
    return this.view.state;
  }

  /** The routing decision, once made. */
  get decision(): RouteDecision | undefined {
    return this.view.decision;
  }

  /** The provider carrying the call, once routed. */
  get provider(): string | undefined {
    return this.view.decision?.kind === 'call' ? this.view.decision.chosen.provider : undefined;
  }

  /** The ops room taking the call, once routed. */
  get opsRoom(): Pick<OpsRoom, 'id' | 'name'> | undefined {
    const decision = this.view.decision;
    return decision?.kind === 'call' ? { id: decision.chosen.roomId, name: decision.chosen.roomName } : undefined;
  }

  /** The ops device taking the call, once routed. */
  get deviceId(): string | undefined {
    return this.view.decision?.kind === 'call' ? this.view.decision.chosen.deviceId : undefined;
  }

  /** The provider's id for the call, once created. */
  get providerCallId(): string | undefined {
    return this.view.providerCallId;
  }

  /**
   * How each side joins, on the server that created the call. Holds secrets (tokens), which the log
   * never keeps, so a handle read back from the store on another server has none: hand each side only its own.
   */
  get join(): CallJoinDetails | undefined {
    return this.created ? { otherSide: this.created.otherSide, opsDevice: this.created.opsDevice } : undefined;
  }

  /** The numbers to offer instead of (or as well as) the video call: always at least the emergency number. */
  get fallback(): PhoneFallback | undefined {
    return this.view.decision?.fallback;
  }

  /** Why the call failed, when it did. */
  get failure(): BridgeError | undefined {
    return this.view.failure;
  }

  /** The supervisor's recorded outcome, once recorded. */
  get outcome(): RecordedOutcome | undefined {
    return this.view.outcome;
  }

  /** @internal The server carrying the call's background work, as of this handle's last write or read. */
  get owner(): string | undefined {
    return this.writer.owner;
  }

  /** @internal When the call must be over, in epoch milliseconds. */
  get expiresAtMs(): number | undefined {
    return this.writer.expiresAtMs;
  }

  /** @internal The lease epoch the call holds its device with. */
  get epoch(): number | undefined {
    return this.view.epoch;
  }

  /** Subscribes to the call's entries, state changes or outcome; returns the unsubscribe function. */
  on<K extends keyof CallEvents>(event: K, listener: (payload: CallEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Every log entry of this call this handle has seen, in order, with `at`, `providerAt` and source. */
  timeline(): AuditEntry[] {
    return this.view.entries.map((entry) => structuredClone(entry));
  }

  /**
   * Reads the call again from the store and asks a polling provider for its events now, instead of
   * waiting for the next poll; resolves to the entries that added. Providers that push webhooks have nothing to poll.
   */
  async refresh(): Promise<AuditEntry[]> {
    await this.sync();
    const { provider, providerCallId } = this;
    return provider && providerCallId ? this.runtime.pollProvider(this.id, provider, providerCallId) : [];
  }

  /** @internal Reads a call back from the store; NOT_FOUND when no call is stored for the id. */
  static async restore(id: string, runtime: CallRuntime): Promise<VerificationCall> {
    const call = new VerificationCall(id, runtime);
    await call.sync();
    if (call.view.verification === undefined) throw new BridgeError('NOT_FOUND', `verification ${id} has no opening entry`);
    return call;
  }

  /** @internal Brings the handle up to date with the store: entries other servers wrote are taken in and emitted. */
  sync(): Promise<void> {
    return this.writer.serial(() => this.writer.sync());
  }

  /**
   * Records the supervisor's verdict, once. `verified` needs a call that connected: nobody can vouch
   * for an officer they never saw.
   */
  recordOutcome(input: OutcomeInput): Promise<RecordedOutcome> {
    return this.writer.serial(async () => {
      const outcome = parseOutcome(input);
      if (this.view.outcome !== undefined) throw new BridgeError('ILLEGAL_TRANSITION', `verification ${this.id} already has an outcome`);
      if (!['created', 'ringing', 'connected', 'ended'].includes(this.state)) {
        throw new BridgeError('ILLEGAL_TRANSITION', `an outcome cannot be recorded for a call that is ${this.state}`);
      }
      if (outcome.outcome === 'verified' && !this.view.everConnected) {
        throw new BridgeError('ILLEGAL_TRANSITION', 'a call that never connected cannot be recorded as verified');
      }
      const check = this.verification.officerCheck;
      if (outcome.outcome === 'verified' && check.flagged && outcome.note === undefined) {
        throw invalidInput(`the officer directory said ${check.status}: a verified outcome needs a note saying how the identity was confirmed`, {
          field: 'note',
        });
      }
      await this.writer.log({
        type: 'outcome.recorded',
        source: 'operator',
        actor: `supervisor:${outcome.supervisor.collarNumber}`,
        data: { ...outcome, supervisor: { ...outcome.supervisor } },
      });
      const recorded = this.view.outcome!;
      // Recorded after the call ended, the outcome comes after the verification's seal: it needs a new one.
      if (isTerminal(this.state)) this.runtime.lateEvidence(this.id);
      this.emitter.emit('outcome', recorded);
      this.runtime.track(this.id, this.confirmToOtherSide(recorded));
      return recorded;
    });
  }

  /**
   * Records what a named supervisor saw on the ops device, as evidence with source `operator`. It moves
   * the call forward like a provider event would (`answered` → ringing, `connected`, `ended`), never
   * backwards; `ended` also releases the provider's call and the device. Identity confirmation needs
   * a connected call.
   */
  attest(input: AttestationInput): Promise<AuditEntry> {
    return this.writer.serial(async () => {
      const attestation = parseAttestation(input);
      const live = ['created', 'ringing', 'connected'].includes(this.state);
      const confirmable = attestation.fact !== 'officer-identity-confirmed' || this.state === 'connected';
      if (!live || !confirmable) {
        throw new BridgeError('ILLEGAL_TRANSITION', `${attestation.fact} cannot be attested for a call that is ${this.state}`);
      }
      const entry: LogRequest = {
        type: 'operator.attested',
        source: 'operator',
        actor: `supervisor:${attestation.supervisor.collarNumber}`,
        data: { ...attestation, supervisor: { ...attestation.supervisor } },
      };
      if (attestation.fact === 'ended') return (await this.finish(entry)).entry;
      return this.writer.log(entry, this.forwardTo(ATTESTED_STATES[attestation.fact]));
    });
  }

  /**
   * Ends the call from our side: asks the provider to end it, records the end, releases the device.
   * On a call already ended (here or on another server) it resolves with how that cleanup went.
   */
  end(options: { actor?: string } = {}): Promise<EndResult> {
    return this.writer.serial(async () => {
      const actor = parseEndOptions(options);
      if (this.state === 'ended') {
        const logged = this.loggedCleanup();
        if (logged !== undefined) return { providerCleanup: logged };
        if (this.cleanup !== undefined) return { providerCleanup: await this.cleanup };
      }
      const { providerCleanup } = await this.finish({
        type: 'call.ended',
        source: 'sdk',
        provider: this.provider,
        ...(actor === undefined ? {} : { actor }),
        data: { endedBy: 'sdk' },
      });
      return { providerCleanup };
    });
  }

  /** @internal Ends a call that reached its expiry (provider call ended, reason logged); a call not yet created fails instead. */
  expire(): Promise<void> {
    return this.writer.serial(async () => {
      if (isTerminal(this.state)) return;
      const data = { endedBy: 'sdk', reason: 'expired' };
      if (this.view.providerCallId !== undefined) {
        await this.finish({ type: 'call.ended', source: 'sdk', provider: this.provider, data });
        return;
      }
      const failure = new BridgeError('PROVIDER_UNAVAILABLE', 'the call reached its expiry before it was created');
      await this.writer.log({ type: 'call.expired', source: 'sdk', data: { ...data, error: failure.toSummary() } }, 'failed');
    });
  }

  /** @internal Opens the call: its first entry and its row, which fails with REFERENCE_TAKEN if the reference is in use. */
  opened(entry: LogRequest, fields: CallFields): Promise<AuditEntry> {
    return this.writer.serial(() => this.writer.write(entry, undefined, { expectedVersion: null, set: fields }));
  }

  /** @internal Records a routing decision; a later one (failing over to the next route) changes the device without a transition. */
  routed(decision: RouteDecision, data: JsonObject): Promise<AuditEntry> {
    return this.writer.serial(async () => {
      const entry: LogRequest = { type: 'route.decided', source: 'sdk', data };
      if (decision.kind === 'phone-fallback') return this.writer.log(entry, 'failed');
      const { chosen, lease } = decision;
      const set = { provider: chosen.provider, deviceId: chosen.deviceId, epoch: lease.epoch };
      return this.writer.log(entry, this.state === 'routed' ? undefined : 'routed', set, { deviceId: chosen.deviceId, epoch: lease.epoch });
    });
  }

  /** @internal Records the provider's answer to create. */
  createdBy(created: CreatedCall, entry: LogRequest): Promise<AuditEntry> {
    return this.writer.serial(async () => {
      this.created = created;
      return this.writer.log(entry, 'created', { providerCallId: created.providerCallId });
    });
  }

  /** @internal Records an entry for the call, moving it to `to` when given (a failed create: `failed`). */
  record(entry: LogRequest, to?: CallState): Promise<AuditEntry> {
    return this.writer.serial(() => this.writer.log(entry, to));
  }

  /**
   * @internal Takes the call over from `previousOwner` for `owner`, under the lease epoch just granted (none before routing);
   * ILLEGAL_TRANSITION when the call ended or another server took it over first.
   */
  adoptedBy(owner: string, previousOwner: string, epoch: number | undefined): Promise<AuditEntry> {
    return this.writer.serial(async () => {
      if (isTerminal(this.state) || this.writer.owner !== previousOwner) {
        throw new BridgeError('ILLEGAL_TRANSITION', `verification ${this.id} is ${this.state} and carried by ${this.writer.owner}: nothing to adopt`);
      }
      // A call not yet routed has no device, so no lease and no epoch to take over.
      const fence = this.deviceId !== undefined && epoch !== undefined ? { deviceId: this.deviceId, epoch } : undefined;
      const leased = fence && { epoch: fence.epoch };
      const entry: LogRequest = { type: 'call.adopted', source: 'sdk', data: { owner, previousOwner, ...leased } };
      return this.writer.log(entry, undefined, { owner, ...leased }, fence);
    });
  }

  /** @internal Records a verified provider event, moving the call forward when the event says so. */
  providerEvent(event: ProviderEvent, providerAt: string | undefined): Promise<AuditEntry> {
    return this.writer.serial(async () => {
      const late = isTerminal(this.state);
      const target = this.forwardTo(event.type === 'participant.joined' && this.view.bothSidesPresentAfter(event) ? 'connected' : EVENT_TARGETS[event.type]);
      const data: JsonObject = {
        providerType: event.providerType,
        providerCallId: event.providerCallId,
        ...(event.participant ? { participant: participantData(event.participant) } : {}),
        ...(event.evidence ? { evidence: event.evidence } : {}),
        ...(late ? { late: true } : {}),
      };
      const request = { type: event.type, source: 'provider' as const, provider: this.provider, providerEventId: event.providerEventId };
      const entry = await this.writer.log({ ...request, ...(providerAt === undefined ? {} : { providerAt }), data }, target);
      if (late) this.runtime.lateEvidence(this.id);
      if (target === 'ended') this.cleanUpAfterProviderEnd(event.providerCallId);
      return entry;
    });
  }

  // The provider ended it; release what we hold there too, without keeping its webhook waiting.
  private cleanUpAfterProviderEnd(providerCallId: string): void {
    const cleanup = this.runtime.endProviderCall(this.id, this.provider!, providerCallId);
    this.cleanup = cleanup;
    const logged = cleanup.then((providerCleanup) =>
      this.writer.serial(() => this.writer.log({ type: 'call.cleaned-up', source: 'sdk', provider: this.provider, data: { providerCleanup } })),
    );
    this.runtime.track(this.id, logged.catch((error: unknown) => this.runtime.reportBackgroundError(error)));
  }

  // Her written record of the outcome (a WhatsApp message); whether it went is itself evidence.
  private async confirmToOtherSide(outcome: RecordedOutcome): Promise<void> {
    const { provider, providerCallId } = this;
    if (provider === undefined || providerCallId === undefined) return;
    const sent = await this.runtime.confirmOutcome({ verificationId: this.id, reference: this.verification.reference, provider, providerCallId }, outcome);
    if (sent === undefined) return;
    await this.writer.serial(async () => {
      await this.writer.log({ type: 'outcome.confirmed', source: 'sdk', provider: this.provider, data: { ...sent } });
      if (isTerminal(this.state)) this.runtime.lateEvidence(this.id);
    });
  }

  // Releases the provider's call, then logs the end with how that went; runs inside `serial`.
  private async finish(request: LogRequest): Promise<EndResult & { entry: AuditEntry }> {
    assertTransition(this.state, 'ended', this.id);
    this.cleanup = this.runtime.endProviderCall(this.id, this.provider!, this.view.providerCallId!);
    const providerCleanup = await this.cleanup;
    const entry = await this.writer.log({ ...request, data: { ...request.data, providerCleanup: { ...providerCleanup } } }, 'ended');
    return { providerCleanup, entry };
  }

  private loggedCleanup(): EndResult['providerCleanup'] | undefined {
    const entry = this.view.entries.findLast((e) => typeof e.data.providerCleanup === 'object' && e.data.providerCleanup !== null);
    return entry?.data.providerCleanup as EndResult['providerCleanup'] | undefined;
  }

  private forwardTo(target: CallState | undefined): CallState | undefined {
    return target !== undefined && isAhead(this.state, target) && canTransition(this.state, target) ? target : undefined;
  }
}

function parseEndOptions(options: unknown): string | undefined {
  if (typeof options !== 'object' || options === null) throw invalidInput('end takes an options object', { field: 'options' });
  const { actor } = options as { actor?: unknown };
  return actor === undefined ? undefined : parseIdentifier(actor, 'actor');
}
