// One app server for call-race.ts: plain Node on the built package. In `cas` mode it changes the shared call
// `attempts` times, each at the version it just read; in `open` mode it opens a call of its own with the
// shared reference. It prints what the store acknowledged and refused as JSON.
const [storeUrl, kind, target, schema, mode, id, attempts, startAtMs] = process.argv.slice(2);
const { default: openStore } = await import(storeUrl);

const store = kind === 'sqlite' ? openStore({ filename: target, busyTimeoutMs: 30_000 }) : openStore({ connectionString: target, schema, maxConnections: 2 });
await store.head(); // connect (and, for PostgreSQL, find the tables) before the start line
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const entry = (verificationId, attempt) => ({ verificationId, type: `race.${mode}`, source: 'sdk', actor: `process-${id}`, data: { process: Number(id), attempt } });
const refused = (error, code) => {
  if (error.code !== code) throw error;
  return null;
};

const wait = Number(startAtMs) - Date.now();
if (wait > 0) await sleep(wait);
const result = { id: Number(id), changes: [], opened: null };
if (mode === 'cas') {
  for (let attempt = 0; attempt < Number(attempts); attempt += 1) {
    const { version } = await store.findCall({ verificationId: 'ver-race' });
    const call = { expectedVersion: version, set: { owner: `process-${id}` } };
    const index = await store.append(entry('ver-race', attempt), Date.now(), { call }).then((e) => e.index, (error) => refused(error, 'CALL_CHANGED'));
    result.changes.push({ expected: version, index });
  }
} else if (mode === 'open') {
  const set = { reference: 'REF-RACE', referenceExpiresAtMs: Date.now() + 600_000, state: 'requested', expiresAtMs: Date.now() + 600_000, owner: `process-${id}` };
  result.opened = await store
    .append(entry(`ver-open-${id}`, 0), Date.now(), { call: { expectedVersion: null, set } })
    .then((e) => e.index, (error) => refused(error, 'REFERENCE_TAKEN'));
} else {
  throw new Error(`unknown mode ${mode}`);
}
await store.close();
process.stdout.write(JSON.stringify(result));
