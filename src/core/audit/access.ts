import type { JsonObject } from '../json.js';
import { invalidInput } from '../errors.js';
import { cleanText } from '../text-hygiene.js';
import { parseIdentifier } from '../validation.js';
import { verifyAgainstLoggedCheckpoints } from './checkpoint-audit.js';
import type { AuditEntry, AuditEntryInput } from './entry.js';
import type { BridgeStore } from './store.js';
import type { AuditVerification } from './verify.js';

/**
 * How an access is recorded: the bridge's own append (its clock, its sandbox label), or for a bare
 * store `(input) => store.append(input, Date.now())`.
 */
export type LogWriter = (input: AuditEntryInput) => Promise<AuditEntry>;

/** Who reads the log and why; UK DPA 2018 s.62 wants consultations of such logs logged. */
export interface ReadLogOptions {
  /** The person or system reading, e.g. `cli:jsmith`. */
  actor: string;
  /** Why, in a few words. */
  purpose?: string;
  /** Only this verification's entries. */
  verificationId?: string;
}

/** Logs a read (who, why, which verification) and then returns the entries, the read included. */
export async function readAuditLog(store: BridgeStore, write: LogWriter, options: ReadLogOptions): Promise<AuditEntry[]> {
  const { actor, purpose, verificationId } = parseReadOptions(options);
  await write({
    type: 'audit.read',
    source: 'sdk',
    actor,
    ...(verificationId === undefined ? {} : { verificationId }),
    data: { scope: verificationId ?? 'all', ...(purpose === undefined ? {} : { purpose }) },
  });
  return store.readEntries(verificationId === undefined ? {} : { verificationId });
}

/**
 * Recomputes the log and holds it to every checkpoint it signed (`verifyAgainstLoggedCheckpoints`), then
 * logs that it was checked, by whom, and what was found.
 */
export async function verifyAuditLog(store: BridgeStore, write: LogWriter, options: { actor: string }): Promise<AuditVerification> {
  const actor = parseActorOption(options);
  const result = await verifyAgainstLoggedCheckpoints(store);
  const found: JsonObject = result.ok
    ? { ok: true, entries: result.entries, root: result.root, checkpoints: result.checkpoints?.count ?? 0 }
    : {
        ok: false,
        entries: result.entries,
        firstBadIndex: result.firstBadIndex,
        reason: result.reason,
        ...(result.checkpointIndex === undefined ? {} : { checkpointIndex: result.checkpointIndex }),
      };
  await write({ type: 'audit.verified', source: 'sdk', actor, data: found });
  return result;
}

/** Reads the `actor` of an options object the app passed, refusing a missing object or actor with INVALID_INPUT. */
export function parseActorOption(options: unknown): string {
  if (typeof options !== 'object' || options === null) throw invalidInput('an actor is needed: who is acting', { field: 'actor' });
  return parseIdentifier((options as { actor?: unknown }).actor, 'actor');
}

function parseReadOptions(options: unknown): ReadLogOptions {
  const actor = parseActorOption(options);
  const raw = options as Record<string, unknown>;
  return {
    actor,
    // An empty purpose says nothing, so it is left out rather than refused.
    ...(raw.purpose === undefined || raw.purpose === '' ? {} : { purpose: cleanText(raw.purpose, 'purpose', { min: 1, max: 500 }) }),
    ...(raw.verificationId === undefined ? {} : { verificationId: parseIdentifier(raw.verificationId, 'verificationId') }),
  };
}
