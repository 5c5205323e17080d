import { BridgeError } from '../errors.js';
import type { BridgeStore } from '../audit/store.js';
import { isTerminal } from '../call-state.js';
import type { CallRuntime } from './call-runtime.js';
import { VerificationCall } from './verification-call.js';

// A handle nobody has used for this long is dropped: the store still has the call, and reads it back on demand.
const IDLE_HANDLE_MS = 10 * 60_000;

/**
 * How many finished calls keep their handle, newest first. Late provider events (a recording ready, the
 * provider's own end) reach the handle the app still listens on, while memory stays bounded however many
 * calls a server finishes in the idle window; an older finished call is read back from the store.
 */
export const FINISHED_HANDLES_KEPT = 256;

interface Held {
  call: VerificationCall;
  usedAtMs: number;
}

/**
 * The call handles this process holds, found by verification id or by the provider's call id. Any call
 * the store holds can be found, whichever server started it: a missing handle is read back from the store.
 * Live calls are held until they end; finished ones only while they are among the newest FINISHED_HANDLES_KEPT.
 */
export class CallRegistry {
  private readonly live = new Map<string, Held>();
  // In the order the calls finished, oldest first, so the one to let go is the first key.
  private readonly finished = new Map<string, Held>();

  constructor(
    private readonly store: BridgeStore,
    private readonly runtime: CallRuntime,
    private readonly now: () => number,
  ) {}

  /** A new call, opened by this process. */
  create(verificationId: string): VerificationCall {
    const call = new VerificationCall(verificationId, this.runtime);
    this.hold(call);
    return call;
  }

  /** The handle this process holds, as it stands, without reading the store. */
  held(verificationId: string): VerificationCall | undefined {
    return this.touch(verificationId);
  }

  /** A working handle on any stored call, brought up to date with the store; undefined when no call has that id. */
  async get(verificationId: string): Promise<VerificationCall | undefined> {
    const held = this.touch(verificationId);
    if (held) {
      await held.sync();
      return held;
    }
    return this.load(verificationId);
  }

  /** The call a provider's call id belongs to, from the store's index; undefined when no server ever started it. */
  async findByProviderCall(provider: string, providerCallId: string): Promise<VerificationCall | undefined> {
    const record = await this.store.findCall({ provider, providerCallId });
    if (record === null) return undefined;
    return this.touch(record.verificationId) ?? this.load(record.verificationId);
  }

  /** Drops handles unused for a while; calls this process owns are kept by their keeper. */
  dropIdle(keep: (verificationId: string) => boolean): void {
    const cutoff = this.now() - IDLE_HANDLE_MS;
    for (const handles of [this.live, this.finished]) {
      for (const [id, held] of handles) if (held.usedAtMs < cutoff && !keep(id)) handles.delete(id);
    }
  }

  private touch(verificationId: string): VerificationCall | undefined {
    const held = this.live.get(verificationId) ?? this.finished.get(verificationId);
    if (held) held.usedAtMs = this.now();
    return held?.call;
  }

  private async load(verificationId: string): Promise<VerificationCall | undefined> {
    let call: VerificationCall;
    try {
      call = await VerificationCall.restore(verificationId, this.runtime);
    } catch (error) {
      if (BridgeError.hasCode(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
    // Two lookups racing for the same call share the first handle, so its writes stay in one queue.
    const raced = this.touch(verificationId);
    if (raced) return raced;
    this.hold(call);
    return call;
  }

  private hold(call: VerificationCall): void {
    const held = { call, usedAtMs: this.now() };
    if (isTerminal(call.state)) return this.keepFinished(held);
    this.live.set(call.id, held);
    // It ends here or, seen at a sync, on another server: either way it moves to the finished handles.
    const release = call.on('state', ({ to }) => {
      if (!isTerminal(to)) return;
      release();
      if (this.live.get(call.id) !== held) return;
      this.live.delete(call.id);
      this.keepFinished(held);
    });
  }

  private keepFinished(held: Held): void {
    this.finished.set(held.call.id, held);
    for (const oldest of this.finished.keys()) {
      if (this.finished.size <= FINISHED_HANDLES_KEPT) break;
      this.finished.delete(oldest);
    }
  }
}
