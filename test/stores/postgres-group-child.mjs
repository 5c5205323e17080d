// One app server for postgres-group.test.ts: plain Node on the built package. From the start line, `writers`
// appenders share one store for `runMs`, each awaiting its append before the next, so the store has a burst
// to group whenever its statement is in flight; it prints every acknowledged append as JSON.
const [storeUrl, connectionString, schema, id, writers, runMs, startAtMs] = process.argv.slice(2);
const { default: postgresStore } = await import(storeUrl);

const store = postgresStore({ connectionString, schema, maxConnections: 2 });
await store.head(); // connect before the start line
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const wait = Number(startAtMs) - Date.now();
if (wait > 0) await sleep(wait);
const deadline = Date.now() + Number(runMs);
const appends = [];

async function appendUntilDeadline(writer) {
  for (let n = 0; Date.now() < deadline; n += 1) {
    const entry = await store.append({ type: 'group.append', source: 'sdk', data: { process: Number(id), writer, n } }, Date.now());
    appends.push({ writer, n, index: entry.index, at: entry.at });
  }
}

await Promise.all(Array.from({ length: Number(writers) }, (_, writer) => appendUntilDeadline(writer)));
await store.close();
process.stdout.write(JSON.stringify({ id: Number(id), appends }));
