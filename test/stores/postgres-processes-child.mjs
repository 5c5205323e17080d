// One app server for postgres-processes.test.ts: plain Node on the built package. For `runMs` it appends
// to the shared log and competes for one device, then prints everything the store acknowledged as JSON.
const [storeUrl, connectionString, schema, id, runMs, startAtMs] = process.argv.slice(2);
const { default: postgresStore } = await import(storeUrl);

const DEVICE = 'ops-device';
const TTL_MS = 250;
const store = postgresStore({ connectionString, schema, maxConnections: 2 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const result = { id: Number(id), appends: [], grants: [], releases: [], fencedWrites: [] };
let n = 0;

async function append(kind, data, fence) {
  const mine = { process: result.id, n: n++, kind, ...data };
  try {
    const entry = await store.append({ type: `process.${kind}`, source: 'sdk', actor: `process-${id}`, data: mine }, Date.now(), { fence });
    result.appends.push({ index: entry.index, n: mine.n });
    return true;
  } catch (error) {
    if (fence === undefined || error.code !== 'LEASE_LOST') throw error;
    return false;
  }
}

async function acquire(holder) {
  const lease = await store.acquireLease({ deviceId: DEVICE, holder, ttlMs: TTL_MS, nowMs: Date.now() });
  if (lease) result.grants.push({ holder, epoch: lease.epoch, expiresAtMs: lease.expiresAtMs, ttlMs: TTL_MS });
  return lease;
}

/** Writes under the lease; returns false as soon as a write is fenced off. */
async function fencedWrites(lease, count) {
  const fence = { deviceId: DEVICE, epoch: lease.epoch };
  for (let i = 0; i < count; i += 1) {
    const accepted = await append('fenced', { epoch: lease.epoch }, fence);
    result.fencedWrites.push({ epoch: lease.epoch, accepted });
    if (!accepted) return false;
    await sleep(5 + Math.random() * 10);
  }
  return true;
}

const wait = Number(startAtMs) - Date.now();
if (wait > 0) await sleep(wait);
const deadline = Date.now() + Number(runMs);
for (let hold = 0; Date.now() < deadline; ) {
  await append('plain', {});
  const holder = `p${id}-hold-${hold}`;
  const lease = await acquire(holder);
  if (lease === null) {
    await sleep(5 + Math.random() * 15);
    continue;
  }
  hold += 1;
  if (!(await fencedWrites(lease, 3))) continue;
  // Renewing keeps the epoch while the lease is live; after a lapse it is a new grant (or nothing).
  const renewed = await acquire(holder);
  if (renewed === null || !(await fencedWrites(renewed, 2))) continue;
  if (hold % 2 === 0) {
    result.releases.push({ holder, epoch: renewed.epoch, released: await store.releaseLease(DEVICE, holder) });
  } else {
    // Let it lapse, then write once more as a holder that may have been taken over.
    await sleep(TTL_MS + 30);
    await fencedWrites(renewed, 1);
  }
}
await store.close();
process.stdout.write(JSON.stringify(result));
