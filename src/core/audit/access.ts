import type { JsonObject } from '../json.js';
import { invalidInput } from '../errors.js';
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
  const actor = checkActor(options.actor);
  await write({
    type: 'audit.read',
    source: 'sdk',
    actor,
    ...(options.verificationId === undefined ? {} : { verificationId: options.verificationId }),
    data: { scope: options.verificationId ?? 'all', ...(options.purpose ? { purpose: options.purpose } : {}) },
  });
  return store.readEntries(options.verificationId === undefined ? {} : { verificationId: options.verificationId });
}

/**
 * Recomputes the log and holds it to every checkpoint it signed (`verifyAgainstLoggedCheckpoints`), then
 * logs that it was checked, by whom, and what was found.
 */
export async function verifyAuditLog(store: BridgeStore, write: LogWriter, options: { actor: string }): Promise<AuditVerification> {
  const actor = checkActor(options.actor);
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

function checkActor(actor: unknown): string {
  if (typeof actor !== 'string' || actor.trim().length === 0 || actor.length > 256) {
    throw invalidInput('reading the log needs an actor: who is reading it', { field: 'actor' });
  }
  return actor.trim();
}
