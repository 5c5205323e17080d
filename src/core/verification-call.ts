import type { CreatedCall, JoinDetails, ParticipantRole, ProviderEvent, UniformEventType } from './adapter.js';
import { ATTESTED_STATES, parseAttestation, type AttestationInput } from './attestation.js';
import type { AuditEntry, AuditEntryInput } from './audit/entry.js';
import { assertTransition, canTransition, isAhead, isTerminal, type CallState } from './call-state.js';
import { TypedEmitter } from './emitter.js';
import { BridgeError, invalidInput } from './errors.js';
import type { JsonObject } from './json.js';
import type { PhoneFallback, RouteDecision } from './router.js';
import type { OpsRoom, Verification } from './types.js';
import { parseOutcome, type OutcomeInput, type RecordedOutcome } from './outcome.js';

/** What a caller can subscribe to on a call. */
export interface CallEvents extends Record<string, unknown> {
  /** Every log entry written for this call, in order. */
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

/** How ending a call went on the provider's side; the call is ended locally either way. */
export interface EndResult {
  /** `ok` when the provider released the call; otherwise why not (it will expire on its own). */
  providerCleanup: { ok: true; durationMs: number } | { ok: false; durationMs: number; error: ReturnType<BridgeError['toSummary']> };
}

/** What a call needs from the bridge that made it. @internal */
export interface CallRuntime {
  /** Appends to the evidence log (the bridge adds sandbox labelling). */
  append(input: AuditEntryInput): Promise<AuditEntry>;
  /** Ends the provider's call; never throws. */
  endProviderCall(providerCallId: string): Promise<EndResult['providerCleanup']>;
  /** Tells the bridge the call reached a final state, so it releases the device lease (failures are reported). */
  terminated(): Promise<void>;
  /** Reports a failure that no caller is waiting for. */
  reportBackgroundError(error: unknown): void;
  /** Hands the bridge work still running for the call, so `idle()` and `close()` can wait for it. */
  track(pending: Promise<unknown>): void;
  /** Asks a polling provider for the call's events and logs the new ones; resolves to what it logged. */
  pollProvider(providerCallId: string): Promise<AuditEntry[]>;
  /** Tells the bridge an entry was logged after the call ended (a Teams call record, a late outcome), so its seal is renewed. */
  lateEvidence(): void;
  /** Sends the other side the outcome through the provider, if its adapter can; never throws. */
  confirmOutcome(providerCallId: string, outcome: RecordedOutcome): Promise<{ ok: boolean; error?: JsonObject } | undefined>;
}

type LogRequest = Omit<AuditEntryInput, 'verificationId'>;

const EVENT_TARGETS: Readonly<Record<UniformEventType, CallState | undefined>> = {
  'call.started': 'ringing',
  'participant.joined': 'ringing',
  'participant.left': undefined,
  'call.ended': 'ended',
  'recording.ready': undefined,
  'chat.linked': undefined,
};

/** The provider-neutral handle on one verification's call: its state, join details, timeline and outcome. */
export class VerificationCall {
  private currentState: CallState = 'requested';
  private readonly entries: AuditEntry[] = [];
  private readonly emitter: TypedEmitter<CallEvents>;
  private readonly present = new Map<string, ParticipantRole>();
  private queue: Promise<unknown> = Promise.resolve();
  private decisionValue: RouteDecision | undefined;
  private created: CreatedCall | undefined;
  private failureValue: BridgeError | undefined;
  private outcomeValue: RecordedOutcome | undefined;
  private cleanup: Promise<EndResult['providerCleanup']> | undefined;

  /** @internal Calls are made by `Bridge.startVerification`. */
  constructor(
    /** The verification this call serves. */
    readonly verification: Verification,
    private readonly runtime: CallRuntime,
  ) {
    this.emitter = new TypedEmitter<CallEvents>((error) => runtime.reportBackgroundError(error));
  }

  /** Where the call is in its life. */
  get state(): CallState {
    return this.currentState;
  }

  /** The routing decision, once made. */
  get decision(): RouteDecision | undefined {
    return this.decisionValue;
  }

  /** The provider carrying the call, once routed. */
  get provider(): string | undefined {
    return this.decisionValue?.kind === 'call' ? this.decisionValue.chosen.provider : undefined;
  }

  /** The ops room taking the call, once routed. */
  get opsRoom(): Pick<OpsRoom, 'id' | 'name'> | undefined {
    if (this.decisionValue?.kind !== 'call') return undefined;
    return { id: this.decisionValue.chosen.roomId, name: this.decisionValue.chosen.roomName };
  }

  /** The ops device taking the call, once routed. */
  get deviceId(): string | undefined {
    return this.decisionValue?.kind === 'call' ? this.decisionValue.chosen.deviceId : undefined;
  }

  /** The provider's id for the call, once created. */
  get providerCallId(): string | undefined {
    return this.created?.providerCallId;
  }

  /** How each side joins, once created. Holds secrets (tokens): hand each side only its own. */
  get join(): CallJoinDetails | undefined {
    return this.created ? { otherSide: this.created.otherSide, opsDevice: this.created.opsDevice } : undefined;
  }

  /** The numbers to offer instead of (or as well as) the video call: always at least the emergency number. */
  get fallback(): PhoneFallback | undefined {
    return this.decisionValue?.fallback;
  }

  /** Why the call failed, when it did. */
  get failure(): BridgeError | undefined {
    return this.failureValue;
  }

  /** The supervisor's recorded outcome, once recorded. */
  get outcome(): RecordedOutcome | undefined {
    return this.outcomeValue;
  }

  /** Subscribes to the call's entries, state changes or outcome; returns the unsubscribe function. */
  on<K extends keyof CallEvents>(event: K, listener: (payload: CallEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Every log entry written for this call so far, in order, with `at`, `providerAt` and source. */
  timeline(): AuditEntry[] {
    return this.entries.map((entry) => structuredClone(entry));
  }

  /**
   * Asks the provider for the call's events now instead of waiting for the bridge's next poll, and
   * returns the entries that added. Providers that push webhooks have nothing to poll: it resolves to [].
   */
  refresh(): Promise<AuditEntry[]> {
    return this.created ? this.runtime.pollProvider(this.created.providerCallId) : Promise.resolve([]);
  }

  /**
   * Records the supervisor's verdict, once. `verified` needs a call that connected: nobody can vouch
   * for an officer they never saw.
   */
  recordOutcome(input: OutcomeInput): Promise<RecordedOutcome> {
    return this.serial(async () => {
      const outcome = parseOutcome(input);
      if (this.outcomeValue !== undefined) {
        throw new BridgeError('ILLEGAL_TRANSITION', `verification ${this.verification.id} already has an outcome`);
      }
      if (!['created', 'ringing', 'connected', 'ended'].includes(this.currentState)) {
        throw new BridgeError('ILLEGAL_TRANSITION', `an outcome cannot be recorded for a call that is ${this.currentState}`);
      }
      if (outcome.outcome === 'verified' && !this.entries.some((e) => transitionOf(e)?.to === 'connected')) {
        throw new BridgeError('ILLEGAL_TRANSITION', 'a call that never connected cannot be recorded as verified');
      }
      const check = this.verification.officerCheck;
      if (outcome.outcome === 'verified' && check.flagged && outcome.note === undefined) {
        throw invalidInput(`the officer directory said ${check.status}: a verified outcome needs a note saying how the identity was confirmed`, {
          field: 'note',
        });
      }
      const entry = await this.log({
        type: 'outcome.recorded',
        source: 'operator',
        actor: `supervisor:${outcome.supervisor.collarNumber}`,
        data: { ...outcome, supervisor: { ...outcome.supervisor } },
      });
      const recorded: RecordedOutcome = { ...outcome, at: entry.at, entryIndex: entry.index };
      // Recorded after the call ended, the outcome comes after the verification's seal: it needs a new one.
      if (isTerminal(this.currentState)) this.runtime.lateEvidence();
      this.outcomeValue = recorded;
      this.emitter.emit('outcome', recorded);
      if (this.created) this.runtime.track(this.confirmToOtherSide(this.created.providerCallId, recorded));
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
    return this.serial(async () => {
      const attestation = parseAttestation(input);
      const live = ['created', 'ringing', 'connected'].includes(this.currentState);
      const confirmable = attestation.fact !== 'officer-identity-confirmed' || this.currentState === 'connected';
      if (!live || !confirmable) {
        throw new BridgeError('ILLEGAL_TRANSITION', `${attestation.fact} cannot be attested for a call that is ${this.currentState}`);
      }
      const entry: LogRequest = {
        type: 'operator.attested',
        source: 'operator',
        actor: `supervisor:${attestation.supervisor.collarNumber}`,
        data: { ...attestation, supervisor: { ...attestation.supervisor } },
      };
      if (attestation.fact === 'ended') return (await this.finish(entry)).entry;
      const target = ATTESTED_STATES[attestation.fact];
      const moves = target !== undefined && isAhead(this.currentState, target) && canTransition(this.currentState, target);
      return this.log(entry, moves ? target : undefined);
    });
  }

  /**
   * Ends the call from our side: asks the provider to end it, records the end, releases the device.
   * On a call the provider already ended it resolves with how that cleanup went.
   */
  end(options: { actor?: string } = {}): Promise<EndResult> {
    return this.serial(async () => {
      if (this.currentState === 'ended' && this.cleanup !== undefined) return { providerCleanup: await this.cleanup };
      const { providerCleanup } = await this.finish({
        type: 'call.ended',
        source: 'sdk',
        provider: this.provider,
        ...(options.actor === undefined ? {} : { actor: options.actor }),
        data: { endedBy: 'sdk' },
      });
      return { providerCleanup };
    });
  }

  /** @internal Records the request that opened the verification; the call is `requested` from the start. */
  opened(entry: LogRequest): Promise<AuditEntry> {
    return this.serial(() => this.log(entry));
  }

  /** @internal Records the routing decision. */
  routed(decision: RouteDecision, data: JsonObject): Promise<AuditEntry> {
    return this.serial(async () => {
      this.decisionValue = decision;
      if (decision.kind === 'phone-fallback') {
        // Busy devices alone is worth telling apart: trying again in a minute may work.
        const onlyBusy = decision.rejected.length > 0 && decision.rejected.every((r) => r.reason === 'device-busy');
        this.failureValue = onlyBusy
          ? new BridgeError('DEVICE_BUSY', 'every ops device that could take the call is on another call; offer the phone numbers')
          : new BridgeError('NO_ROUTE', 'no provider and device could take the call; offer the phone numbers');
      }
      return this.log({ type: 'route.decided', source: 'sdk', data }, decision.kind === 'call' ? 'routed' : 'failed');
    });
  }

  /** @internal Records the provider's answer to create. */
  createdBy(created: CreatedCall, entry: LogRequest): Promise<AuditEntry> {
    return this.serial(async () => {
      this.created = created;
      return this.log(entry, 'created');
    });
  }

  /** @internal Records a failure that ends the call before it starts. */
  failedWith(error: BridgeError, entry: LogRequest): Promise<AuditEntry> {
    return this.serial(async () => {
      this.failureValue = error;
      return this.log(entry, 'failed');
    });
  }

  /** @internal Records a verified provider event, moving the call forward when the event says so. */
  providerEvent(event: ProviderEvent, providerAt: string | undefined): Promise<AuditEntry> {
    return this.serial(async () => {
      const target = this.targetOf(event);
      const moves = target !== undefined && isAhead(this.currentState, target) && canTransition(this.currentState, target);
      const data: JsonObject = {
        providerType: event.providerType,
        providerCallId: event.providerCallId,
        ...(event.participant ? { participant: { role: event.participant.role } } : {}),
        ...(event.evidence ? { evidence: event.evidence } : {}),
        ...(isTerminal(this.currentState) ? { late: true } : {}),
      };
      const entry = await this.log(
        {
          type: event.type,
          source: 'provider',
          provider: this.provider,
          providerEventId: event.providerEventId,
          ...(providerAt === undefined ? {} : { providerAt }),
          data,
        },
        moves ? target : undefined,
      );
      if (data.late === true) this.runtime.lateEvidence();
      if (this.currentState === 'ended' && moves) {
        // The provider ended it; release what we hold there too, without keeping its webhook waiting.
        const cleanup = this.runtime.endProviderCall(event.providerCallId);
        this.cleanup = cleanup;
        const logged = cleanup.then((providerCleanup) =>
          this.serial(() =>
            this.log({ type: 'call.cleaned-up', source: 'sdk', provider: this.provider, data: { providerCleanup } }),
          ),
        );
        this.runtime.track(logged.catch((error: unknown) => this.runtime.reportBackgroundError(error)));
      }
      return entry;
    });
  }

  // Her written record of the outcome (a WhatsApp message); whether it went is itself evidence.
  private async confirmToOtherSide(providerCallId: string, outcome: RecordedOutcome): Promise<void> {
    const sent = await this.runtime.confirmOutcome(providerCallId, outcome);
    if (sent === undefined) return;
    await this.serial(async () => {
      await this.log({ type: 'outcome.confirmed', source: 'sdk', provider: this.provider, data: { ...sent } });
      if (isTerminal(this.currentState)) this.runtime.lateEvidence();
    });
  }

  // Releases the provider's call, then logs the end with how that went; runs inside `serial`.
  private async finish(request: LogRequest): Promise<EndResult & { entry: AuditEntry }> {
    assertTransition(this.currentState, 'ended', this.verification.id);
    this.cleanup = this.runtime.endProviderCall(this.created!.providerCallId);
    const providerCleanup = await this.cleanup;
    const entry = await this.log({ ...request, data: { ...request.data, providerCleanup: { ...providerCleanup } } }, 'ended');
    return { providerCleanup, entry };
  }

  private targetOf(event: ProviderEvent): CallState | undefined {
    if (event.participant !== undefined) {
      const key = event.participant.providerParticipantId ?? event.participant.role;
      if (event.type === 'participant.joined') this.present.set(key, event.participant.role);
      if (event.type === 'participant.left') this.present.delete(key);
    }
    if (event.type === 'participant.joined' && this.bothSidesPresent()) return 'connected';
    return EVENT_TARGETS[event.type];
  }

  private bothSidesPresent(): boolean {
    const roles = [...this.present.values()];
    if (roles.includes('ops-device') && roles.includes('other-side')) return true;
    return roles.includes('unknown') && this.present.size >= 2;
  }

  private async log(request: LogRequest, to?: CallState): Promise<AuditEntry> {
    const from = this.currentState;
    if (to !== undefined) assertTransition(from, to, this.verification.id);
    const data = to === undefined ? request.data : { ...request.data, transition: { from, to } };
    const entry = await this.runtime.append({ ...request, verificationId: this.verification.id, data });
    this.entries.push(entry);
    if (to !== undefined) this.currentState = to;
    this.emitter.emit('entry', entry);
    if (to !== undefined) {
      this.emitter.emit('state', { from, to, entry });
      if (isTerminal(to)) this.runtime.track(this.runtime.terminated());
    }
    return entry;
  }

  // One operation at a time per call, so concurrent webhooks and API calls see consistent state.
  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function transitionOf(entry: AuditEntry): { from: string; to: string } | undefined {
  const transition = entry.data.transition;
  return typeof transition === 'object' && transition !== null && !Array.isArray(transition)
    ? (transition as { from: string; to: string })
    : undefined;
}
