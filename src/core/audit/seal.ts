import { BridgeError } from '../errors.js';
import type { LogWriter } from './access.js';
import type { AuditEntry } from './entry.js';
import type { BridgeStore } from './store.js';

/** The entry type that closes a verification's record by listing every entry it has so far. */
export const SEAL_ENTRY_TYPE = 'verification.sealed';

/**
 * Logs a seal for a verification: the indexes of all its entries so far. An inclusion proof shows an
 * entry is in the log but not that none was left out; a proven seal does, so a bundle checker can tell
 * a dropped entry. Throws NOT_FOUND when the verification has no entries.
 */
export async function sealVerification(store: BridgeStore, write: LogWriter, verificationId: string): Promise<AuditEntry> {
  const entries = await store.readEntries({ verificationId });
  if (entries.length === 0) throw new BridgeError('NOT_FOUND', `verification ${verificationId} has no entries to seal`);
  return write({
    type: SEAL_ENTRY_TYPE,
    source: 'sdk',
    verificationId,
    data: { entries: entries.map((entry) => entry.index) },
  });
}

/** The indexes a seal entry lists, or undefined if it is not a well-formed seal. */
export function sealedIndexes(seal: AuditEntry): number[] | undefined {
  const listed = seal.type === SEAL_ENTRY_TYPE && typeof seal.data === 'object' && seal.data !== null ? seal.data.entries : undefined;
  if (!Array.isArray(listed) || !listed.every((i): i is number => Number.isSafeInteger(i) && (i as number) >= 0 && (i as number) < seal.index)) {
    return undefined;
  }
  return listed;
}
