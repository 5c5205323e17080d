// One app server for servers.test.ts: plain Node on the built package, with a bridge on the shared store,
// a Daily adapter on the parent's fake and a webhook listener. It takes one JSON command a line on stdin
// and answers one JSON line each on stdout; its first line says where its webhooks go.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

const config = JSON.parse(process.argv[2]);
const { createBridge, createCheckpointSigner, createWebhookHandler, parseSigningKey } = await import(`${config.dist}/index.js`);
const { daily } = await import(`${config.dist}/adapters/daily.js`);
const store =
  config.store.kind === 'sqlite'
    ? (await import(`${config.dist}/stores/sqlite.js`)).default({ filename: config.store.filename })
    : (await import(`${config.dist}/stores/postgres.js`)).default({ connectionString: config.store.url, schema: config.store.schema, maxConnections: 3 });

const bridge = createBridge({
  store,
  adapters: [daily({ apiKey: config.daily.apiKey, webhookSecret: config.daily.webhookSecret, baseUrl: config.daily.baseUrl })],
  rooms: config.rooms,
  personalDataKey: config.personalDataKey,
  serverId: config.serverId,
  adoptAfterMs: config.adoptAfterMs,
  ...(config.callTtlMs ? { callTtlMs: config.callTtlMs } : {}),
  checkpoints: { signer: createCheckpointSigner({ key: parseSigningKey(config.signingKey) }) },
});
const errors = [];
bridge.on('background-error', (error) => errors.push(`${error.code}: ${error.message}`));
const listener = createWebhookHandler(bridge, { pathPrefix: '/webhooks/' });
const server = createServer(listener);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
say({ ready: true, webhookUrl: `http://127.0.0.1:${server.address().port}/webhooks/daily` });

const supervisor = { collarNumber: 'SGT7', name: 'Sgt Seven' };
const officer = { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Test', force: 'Test Constabulary' };

async function call(verificationId) {
  const found = await bridge.getCall(verificationId);
  if (!found) throw Object.assign(new Error(`no call ${verificationId}`), { code: 'NOT_FOUND' });
  return found;
}

const commands = {
  async start() {
    const started = await bridge.startVerification({ officer, reason: 'Checking on a report of a person in distress', flow: 'citizen-device', citizen: { platform: 'android', browser: true } });
    return { verificationId: started.id, providerCallId: started.providerCallId, state: started.state, deviceId: started.deviceId, failure: started.failure?.code };
  },
  async state({ verificationId }) {
    const found = await call(verificationId);
    return { state: found.state, owner: found.owner };
  },
  async outcome({ verificationId }) {
    await (await call(verificationId)).recordOutcome({ outcome: 'verified', supervisor });
    return {};
  },
  async end({ verificationId }) {
    return (await call(verificationId)).end({ actor: 'supervisor:SGT7' });
  },
  async idle() {
    await bridge.idle();
    return { errors: errors.splice(0) };
  },
  async close() {
    await bridge.close();
    await store.close();
    server.close();
    return { errors };
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  const { id, op, ...args } = JSON.parse(line);
  try {
    say({ id, ok: true, ...(await commands[op](args)) });
  } catch (error) {
    say({ id, ok: false, code: error.code, message: error.message });
  }
  if (op === 'close') process.exit(0);
}
