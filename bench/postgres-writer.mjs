// One server process of the contention bench: from the start line, `writers` callers append to one store for
// `runMs`, each awaiting its append before the next; prints how many appends the store acknowledged.
const [storeUrl, connectionString, schema, id, writers, runMs, startAtMs] = process.argv.slice(2);
const { default: postgresStore } = await import(storeUrl);

const store = postgresStore({ connectionString, schema, maxConnections: 2 });
await store.head(); // connected before the start line
const wait = Number(startAtMs) - Date.now();
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
const deadline = Date.now() + Number(runMs);
let acknowledged = 0;
await Promise.all(
  Array.from({ length: Number(writers) }, async (_, writer) => {
    for (let n = 0; Date.now() < deadline; n += 1) {
      await store.append({ type: 'bench.contend', source: 'sdk', verificationId: `p${id}-w${writer}`, data: { process: Number(id), writer, n } }, Date.now());
      if (Date.now() <= deadline) acknowledged += 1;
    }
  }),
);
await store.close();
process.stdout.write(String(acknowledged));
