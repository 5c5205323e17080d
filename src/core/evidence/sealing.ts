import type { LogWriter } from '../audit/access.js';
import { latestCheckpoint, type LoggedCheckpoint } from '../audit/checkpoint-log.js';
import type { CheckpointSigner } from '../audit/checkpoint-signer.js';
import { sealVerification } from '../audit/seal.js';
import type { BridgeStore } from '../audit/store.js';
import { BridgeError } from '../errors.js';
import type { BackgroundWork } from '../scheduling/background-work.js';

/** What sealing needs from the bridge. @internal */
export interface SealingContext {
  /** The shared store. */
  store: BridgeStore;
  /** The bridge's append. */
  append: LogWriter;
  /** The bridge's background work, which a seal waits for. */
  work: BackgroundWork;
  /** The checkpoint signer, when the bridge has one. */
  signer: CheckpointSigner | undefined;
  /** How old the newest checkpoint may get before another is signed. */
  everyMs: number;
  /** The bridge's clock, in epoch milliseconds. */
  now(): number;
  /** Tells the app a checkpoint was signed. */
  signed(checkpoint: LoggedCheckpoint): void;
}

/**
 * Seals verifications and signs checkpoints: when a call ends, again when evidence arrives after its
 * seal (so the latest seal, which a bundle carries, lists it), and whenever the newest checkpoint is too old.
 */
export class EvidenceSealer {
  // Repeats while a reseal of the same verification runs coalesce into one more.
  private readonly resealing = new Map<string, { again: boolean }>();

  constructor(private readonly context: SealingContext) {}

  /** Whether the bridge seals at all (it needs a signer). */
  get enabled(): boolean {
    return this.context.signer !== undefined;
  }

  /** Signs and logs a checkpoint now. */
  async signCheckpoint(): Promise<LoggedCheckpoint> {
    const { signer, store, append } = this.context;
    if (!signer) throw new BridgeError('INVALID_CONFIG', 'this bridge has no checkpoint signer (options.checkpoints)');
    const signed = await signer.sign(store, append);
    this.context.signed(signed);
    return signed;
  }

  /** Seals a verification once its own background work has logged what it will, then signs. */
  async sealAndSign(verificationId: string): Promise<void> {
    // Let the call hand over its last work (a provider-ended call logs its cleanup next), then wait for it.
    await new Promise((resolve) => setImmediate(resolve));
    await this.context.work.settledFor(verificationId);
    await sealVerification(this.context.store, this.context.append, verificationId);
    await this.signCheckpoint();
  }

  /** Seals a verification again, soon, because evidence came after its seal. */
  resealLater(verificationId: string): void {
    if (!this.enabled) return;
    const running = this.resealing.get(verificationId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.resealing.set(verificationId, state);
    const reseal = async () => {
      try {
        do {
          state.again = false;
          await this.sealAndSign(verificationId);
        } while (state.again);
      } finally {
        this.resealing.delete(verificationId);
      }
    };
    this.context.work.track(reseal());
  }

  /** Signs when the newest checkpoint is older than `everyMs` (or a non-empty log has none); judged from the log, so restarts cannot postpone it. */
  async signIfDue(): Promise<void> {
    const { store, now, everyMs } = this.context;
    const latest = await latestCheckpoint(store);
    const due = latest ? now() - Date.parse(latest.at) >= everyMs : (await store.head()).size > 0;
    if (due) await this.signCheckpoint();
  }
}
