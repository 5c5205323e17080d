// What reading one verification's entries, or the latest checkpoint, costs as the log grows, against
// one durable append on the same file. Both must stay flat: an index lookup, not a scan. The log holds
// calls of ten entries each, the last of them a checkpoint (one is signed at every call end).
import { join } from 'node:path';
import sqliteStore from '../dist/stores/sqlite.js';
import { benchEntry, fillLog } from './fill-log.mjs';
import { medianMs } from './timing.mjs';

const ENTRIES_PER_CALL = 10;
const SAMPLES = 21;

function callEntry(i) {
  const checkpoint = i % ENTRIES_PER_CALL === ENTRIES_PER_CALL - 1;
  return { ...benchEntry(i), verificationId: `vrf_${Math.floor(i / ENTRIES_PER_CALL)}`, ...(checkpoint ? { type: 'checkpoint.signed', providerEventId: undefined, provider: undefined } : {}) };
}

/** The reads the by-verif and latest-cp lines time, each checking it read what the log holds. */
export const READS = {
  verification: async (store, size) => {
    const middle = `vrf_${Math.floor(size / ENTRIES_PER_CALL / 2)}`;
    if ((await store.readEntries({ verificationId: middle })).length !== ENTRIES_PER_CALL) throw new Error('wrong entries read');
  },
  latestCheckpoint: async (store) => {
    if ((await store.readEntries({ type: 'checkpoint.signed', newestFirst: true, limit: 1 })).length !== 1) throw new Error('no checkpoint read');
  },
};

/** Median times (ms) of one durable append and of one of the READS, in a log of `size`. */
export async function indexedRead(dir, size, read) {
  const path = join(dir, `indexed-${size}.db`);
  await fillLog(path, size, callEntry);
  const store = sqliteStore({ filename: path });
  try {
    const append = await medianMs(SAMPLES, (i) => store.append({ type: 'bench.append', source: 'sdk', data: { i } }, Date.now()));
    return { append, read: await medianMs(SAMPLES, () => READS[read](store, size)) };
  } finally {
    await store.close();
  }
}
