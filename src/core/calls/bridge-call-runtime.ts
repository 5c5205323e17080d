import { performance } from 'node:perf_hooks';
import type { CallAdapter } from '../adapter.js';
import type { AuditEntry, AuditEntryInput } from '../audit/entry.js';
import type { AppendOptions, BridgeStore } from '../audit/store.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { EvidenceSealer } from '../evidence/sealing.js';
import type { BackgroundWork } from '../scheduling/background-work.js';
import type { CallRuntime, TerminatedCall } from './call-runtime.js';

/** The bridge's parts a call handle reaches through its runtime. @internal */
export interface BridgeCallParts {
  store: BridgeStore;
  append(input: AuditEntryInput, options?: AppendOptions): Promise<AuditEntry>;
  adapterFor(provider: string): CallAdapter | undefined;
  work: BackgroundWork;
  sealer: EvidenceSealer;
  report(error: unknown): void;
  poll(verificationId: string, provider: string, providerCallId: string): Promise<AuditEntry[]>;
  terminated(call: TerminatedCall): Promise<void>;
}

/** The runtime every call handle of one bridge shares: the store, the adapters and the bridge's background work. */
export function callRuntime(parts: BridgeCallParts): CallRuntime {
  const { store, adapterFor, work } = parts;
  return {
    append: parts.append,
    async readCall(verificationId, fromIndex) {
      const record = await store.findCall({ verificationId });
      const entries = record === null ? [] : await store.readEntries({ verificationId, fromIndex });
      return { record, entries };
    },
    async endProviderCall(verificationId, provider, providerCallId) {
      const adapter = adapterFor(provider);
      const started = performance.now();
      try {
        await registered(adapter, provider).endCall({ verificationId, providerCallId });
        return { ok: true, durationMs: elapsed(started) };
      } catch (error) {
        const failure = toBridgeError(error, 'PROVIDER_UNAVAILABLE', 'ending the call failed', provider);
        return { ok: false, durationMs: elapsed(started), error: failure.toSummary() };
      }
    },
    terminated: parts.terminated,
    reportBackgroundError: parts.report,
    track: (verificationId, pending) => work.track(pending, verificationId),
    pollProvider: parts.poll,
    lateEvidence: (verificationId) => parts.sealer.resealLater(verificationId),
    async confirmOutcome(call, outcome) {
      const adapter = adapterFor(call.provider);
      if (adapter && !adapter.confirmOutcome) return undefined;
      try {
        await registered(adapter, call.provider).confirmOutcome!({
          verificationId: call.verificationId,
          providerCallId: call.providerCallId,
          reference: call.reference,
          outcome: outcome.outcome,
          supervisorCollarNumber: outcome.supervisor.collarNumber,
          at: outcome.at,
        });
        return { ok: true };
      } catch (error) {
        return { ok: false, error: toBridgeError(error, 'PROVIDER_UNAVAILABLE', 'the confirmation could not be sent', call.provider).toSummary() };
      }
    },
  };
}

// A call started on a server with more adapters can be acted on here; what needs its provider then fails, logged, not thrown.
function registered(adapter: CallAdapter | undefined, provider: string): CallAdapter {
  if (adapter) return adapter;
  throw new BridgeError('NOT_FOUND', `this server has no ${provider} adapter registered`, { provider });
}

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000) / 1000;
}
