import type { Clock } from '../clock.js';
import type { JsonObject } from '../json.js';
import { invalidInput } from '../errors.js';
import type { AuditEntry } from './entry.js';
import type { BridgeStore } from './store.js';
import type { AuditVerification } from './verify.js';

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
export async function readAuditLog(store: BridgeStore, options: ReadLogOptions, clock: Clock): Promise<AuditEntry[]> {
  const actor = checkActor(options.actor);
  await store.append(
    {
      type: 'audit.read',
      source: 'sdk',
      actor,
      ...(options.verificationId === undefined ? {} : { verificationId: options.verificationId }),
      data: { scope: options.verificationId ?? 'all', ...(options.purpose ? { purpose: options.purpose } : {}) },
    },
    clock.now(),
  );
  return store.readEntries(options.verificationId === undefined ? {} : { verificationId: options.verificationId });
}

/** Recomputes the log, then logs that it was checked, by whom, and what was found. */
export async function verifyAuditLog(
  store: BridgeStore,
  options: { actor: string },
  clock: Clock,
): Promise<AuditVerification> {
  const actor = checkActor(options.actor);
  const result = await store.verify();
  const found: JsonObject = result.ok
    ? { ok: true, entries: result.entries, root: result.root }
    : { ok: false, entries: result.entries, firstBadIndex: result.firstBadIndex, reason: result.reason };
  await store.append({ type: 'audit.verified', source: 'sdk', actor, data: found }, clock.now());
  return result;
}

function checkActor(actor: unknown): string {
  if (typeof actor !== 'string' || actor.trim().length === 0 || actor.length > 256) {
    throw invalidInput('reading the log needs an actor: who is reading it', { field: 'actor' });
  }
  return actor.trim();
}
