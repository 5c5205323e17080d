import type { AuditEntry, AuditEntryInput } from '../audit/entry.js';
import type { AppendOptions } from '../audit/store.js';
import type { BridgeError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { RecordedOutcome } from '../outcome.js';
import type { CallRecord } from './call-record.js';

/** How ending a call went on the provider's side; the call is ended in the log either way. */
export interface EndResult {
  /** `ok` when the provider released the call; otherwise why not (it will expire on its own). */
  providerCleanup: { ok: true; durationMs: number } | { ok: false; durationMs: number; error: ReturnType<BridgeError['toSummary']> };
}

/** The call whose final state this process just wrote. @internal */
export interface TerminatedCall {
  id: string;
  provider?: string;
  providerCallId?: string;
}

/** What a call handle needs from the bridge that made it. @internal */
export interface CallRuntime {
  /** Appends to the evidence log (the bridge adds its clock and sandbox labelling). */
  append(input: AuditEntryInput, options: AppendOptions): Promise<AuditEntry>;
  /** The call's row and its entries from `fromIndex` on, as the store holds them now. */
  readCall(verificationId: string, fromIndex: number): Promise<{ record: CallRecord | null; entries: AuditEntry[] }>;
  /** Ends the provider's call; never throws. */
  endProviderCall(verificationId: string, provider: string, providerCallId: string): Promise<EndResult['providerCleanup']>;
  /** Tells the bridge this process wrote the call's final state (the store freed its device with it), so it polls once more and seals; never throws. */
  terminated(call: TerminatedCall): Promise<void>;
  /** Reports a failure that no caller is waiting for. */
  reportBackgroundError(error: unknown): void;
  /** Hands the bridge work still running for the call, so `idle()`, `close()` and its seal can wait for it. */
  track(verificationId: string, pending: Promise<unknown>): void;
  /** Asks a polling provider for the call's events and logs the new ones; resolves to what it logged. */
  pollProvider(verificationId: string, provider: string, providerCallId: string): Promise<AuditEntry[]>;
  /** Tells the bridge an entry was logged after the call ended (a Teams call record, a late outcome), so its seal is renewed. */
  lateEvidence(verificationId: string): void;
  /** Sends the other side the outcome through the provider, if its adapter can; never throws. */
  confirmOutcome(
    call: { verificationId: string; reference: string; provider: string; providerCallId: string },
    outcome: RecordedOutcome,
  ): Promise<{ ok: boolean; error?: JsonObject } | undefined>;
}
