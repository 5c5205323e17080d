import { formatInstant } from '../clock.js';
import { parseActorOption, type LogWriter } from './access.js';
import type { BridgeStore } from './store.js';

/** The entry type that records an erasure of personal data whose retention ended. */
export const ERASURE_ENTRY_TYPE = 'personal-data.erased';

/**
 * Erases every personal-data value whose retention ended by `nowMs`, then logs the kinds and keyed
 * hashes that went (never a value) and who ran it. Leaves are untouched, so the tree still verifies.
 * Resolves to how many values were erased; nothing is logged when none were.
 */
export async function eraseExpiredPersonalData(store: BridgeStore, write: LogWriter, options: { actor: string; nowMs: number }): Promise<number> {
  const actor = parseActorOption(options);
  const erased = await store.erasePersonalData(options.nowMs);
  if (erased.length === 0) return 0;
  await write({
    type: ERASURE_ENTRY_TYPE,
    source: 'sdk',
    actor,
    data: { erased: erased.map((item) => ({ ...item })), retentionEndedBy: formatInstant(options.nowMs) },
  });
  return erased.length;
}
