import type { LogWriter } from './audit/access.js';
import type { AuditEntry } from './audit/entry.js';
import type { BridgeStore } from './audit/store.js';
import type { CallState } from './call-state.js';
import type { OfficerCheck } from './officer-directory.js';
import { parseVerificationReference } from './reference.js';
import type { Officer } from './types.js';
import { parseIdentifier } from './validation.js';

/**
 * What a reference lookup found. A reference works once: after a `found`, the next lookup says
 * `already-used`, so a reference overheard or replayed later opens nothing.
 */
export type ReferenceLookupOutcome = 'found' | 'expired' | 'already-used' | 'unknown';

/** What the ops console sees for a reference the citizen reads out. */
export interface ReferenceLookup {
  /** The verdict. */
  outcome: ReferenceLookupOutcome;
  /** The reference, normalised. */
  reference: string;
  /** The log entry that records this lookup. */
  entryIndex: number;
  /** The verification, unless the reference is unknown. */
  verificationId?: string;
  /** Who the officer says he is (only with `found`). */
  officer?: Officer;
  /** Why he approached (only with `found`). */
  reason?: string;
  /** What the roster said about him (only with `found`). */
  officerCheck?: OfficerCheck;
  /** The call's latest state, from the log (only with `found`). */
  state?: CallState;
  /** When the reference stops working. */
  referenceExpiresAt?: string;
}

/** Finds a reference through the store's call index, decides whether it may still be used, and logs the lookup (who, what, verdict). */
export async function lookUpReference(
  store: BridgeStore,
  write: LogWriter,
  options: { reference: string; actor: string; nowMs: number },
): Promise<ReferenceLookup> {
  const actor = parseIdentifier(options.actor, 'actor');
  const reference = parseVerificationReference(parseIdentifier(options.reference, 'reference', 64));
  // References are unique only among unexpired ones, so the newest verification carrying it is the one meant.
  const call = await store.findCall({ reference });
  const entries = call === null ? [] : await store.readEntries({ verificationId: call.verificationId });
  const created = entries.find((e) => e.type === 'verification.created');
  if (call === null || created === undefined) return logged(write, actor, { outcome: 'unknown', reference });
  const verificationId = call.verificationId;
  const expiresAt = String(created.data.referenceExpiresAt);
  const base = { reference, verificationId, referenceExpiresAt: expiresAt };
  if (entries.some((e) => e.type === 'reference.looked-up' && e.data.outcome === 'found')) {
    return logged(write, actor, { ...base, outcome: 'already-used' });
  }
  if (options.nowMs > Date.parse(expiresAt)) return logged(write, actor, { ...base, outcome: 'expired' });
  return logged(write, actor, {
    ...base,
    outcome: 'found',
    officer: created.data.officer as unknown as Officer,
    reason: String(created.data.reason),
    officerCheck: created.data.officerCheck as unknown as OfficerCheck,
    state: latestState(entries),
  });
}

async function logged(write: LogWriter, actor: string, lookup: Omit<ReferenceLookup, 'entryIndex'>): Promise<ReferenceLookup> {
  const entry = await write({
    type: 'reference.looked-up',
    source: 'operator',
    actor,
    ...(lookup.verificationId === undefined ? {} : { verificationId: lookup.verificationId }),
    data: { reference: lookup.reference, outcome: lookup.outcome },
  });
  return { ...lookup, entryIndex: entry.index };
}

function latestState(entries: readonly AuditEntry[]): CallState | undefined {
  for (const entry of [...entries].reverse()) {
    const transition = entry.data.transition as { to?: CallState } | undefined;
    if (transition?.to) return transition.to;
  }
  return undefined;
}
