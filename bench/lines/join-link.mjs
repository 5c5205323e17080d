// Join link, cold: from `startVerification` to the link, and the adapter's createCall alone, for every
// HTTP adapter, against its fake with provider latency injected. A fresh fake, adapter, bridge and
// SQLite file each round, so nothing the adapter learns (an access token, Daily's domain id) is left from an earlier round; modules are loaded
// once per process, as an app server loads them at boot. The adapter is made and, as an app server
// does at boot, its `ready()` awaited (what it fetches ahead at start: an OAuth token); the figure
// with no wait at all is printed in the detail as well ("at once").
// Baseline: one bare HTTP round trip (fetch) to the same fake with the same latency, in the same round.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { daily } from '../../dist/adapters/daily.js';
import { googleMeet } from '../../dist/adapters/google-meet.js';
import { teams } from '../../dist/adapters/teams.js';
import { zoom } from '../../dist/adapters/zoom.js';
import { createBridge } from '../../dist/index.js';
import sqliteStore from '../../dist/stores/sqlite.js';
import { startDailyFake, startGoogleMeetFake, startTeamsFake, startZoomFake } from '../../dist/testing/index.js';
import { spread } from '../harness.mjs';

const LATENCY_MS = Number(process.env.VCB_BENCH_JOIN_LATENCY_MS ?? 100);
const ZOOM_USER = 'ops-device@vcb-sandbox.invalid';
const START = {
  officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Bench', force: 'Bench Constabulary' },
  reason: 'Checking on a report of a person in distress',
  flow: 'citizen-device',
  citizen: { platform: 'android', apps: ['zoom', 'teams', 'google-meet'], browser: true },
};

/** Each HTTP adapter on its fake: the adapter, the device's handle, and a URL one bare request may go to. */
const PROVIDERS = {
  async daily() {
    const fake = await startDailyFake({ latencyMs: LATENCY_MS });
    return {
      fake,
      handle: 'bench-device',
      probe: [`${fake.baseUrl}/rooms?limit=1`, { headers: { authorization: `Bearer ${fake.apiKey}` } }],
      adapter: () => daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl }),
    };
  },
  async zoom() {
    const fake = await startZoomFake({ latencyMs: LATENCY_MS, host: { email: ZOOM_USER } });
    const { accountId, clientId, clientSecret, webhookSecretToken, baseUrl, oauthBaseUrl } = fake;
    return {
      fake,
      handle: ZOOM_USER,
      probe: [`${baseUrl}/users/me`, {}],
      adapter: () => zoom({ accountId, clientId, clientSecret, webhookSecretToken, baseUrl, oauthBaseUrl }),
    };
  },
  async teams() {
    const fake = await startTeamsFake({ latencyMs: LATENCY_MS });
    return { fake, handle: fake.userId, probe: [`${fake.adapterOptions.graphUrl}/v1.0/me`, {}], adapter: () => teams(fake.adapterOptions) };
  },
  async 'google-meet'() {
    const fake = await startGoogleMeetFake({ latencyMs: LATENCY_MS });
    const { clientId, clientSecret, refreshToken, tokenUrl, rootUrl } = fake;
    return {
      fake,
      handle: fake.deviceUser,
      probe: [`${rootUrl}v2/spaces/none`, {}],
      adapter: () => googleMeet({ clientId, clientSecret, refreshToken, tokenUrl, rootUrl }),
    };
  },
};

async function bareRoundTrip([url, init]) {
  const started = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return performance.now() - started;
}

/** One cold start of one provider: ms from startVerification to link, and the bare round trip beside it. */
async function coldStart(provider, dir, waitReady) {
  const setup = await PROVIDERS[provider]();
  const store = sqliteStore({ filename: join(dir, `${provider}-${randomBytes(4).toString('hex')}.db`) });
  const adapter = setup.adapter();
  const bridge = createBridge({
    store,
    adapters: [adapter],
    rooms: [{ id: 'room-a', name: 'Room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { [provider]: setup.handle } } }],
    personalDataKey: randomBytes(32),
  });
  try {
    if (waitReady) await adapter.ready?.();
    const started = performance.now();
    const call = await bridge.startVerification(START);
    const ours = performance.now() - started;
    if (call.state !== 'created' || !call.join?.otherSide.url) throw new Error(`${provider}: no link (${call.state}, ${call.failure?.code ?? ''})`);
    // After, so that "at once" really starts with nothing fetched; the connection is as new as the adapter's was.
    const baseline = await bareRoundTrip(setup.probe);
    return { ours, baseline };
  } finally {
    await bridge.close();
    await store.close();
    await setup.fake.close();
  }
}

/** The adapter alone, made fresh and ready: ms of its createCall, and the bare round trip beside it. */
async function createOnly(provider) {
  const setup = await PROVIDERS[provider]();
  try {
    const adapter = setup.adapter();
    await adapter.ready?.();
    const request = { verificationId: 'vrf_bench', flow: 'citizen-device', device: { id: 'room-a-device', handle: setup.handle }, expiresAt: new Date(Date.now() + 1_800_000).toISOString() };
    const started = performance.now();
    await adapter.createCall(request);
    const ours = performance.now() - started;
    return { ours, baseline: await bareRoundTrip(setup.probe) };
  } finally {
    await setup.fake.close();
  }
}

// A provider with no network, so what is left is the bridge's own work before the link: its durable commits.
function inProcessAdapter() {
  return {
    specificationVersion: 'v1',
    provider: 'daily',
    capabilities: { platforms: ['android', 'ios', 'desktop'], access: 'browser', flows: ['citizen-device'], lifecycle: 'webhook', recording: false },
    createCall: async () => ({ providerCallId: `room-${randomBytes(4).toString('hex')}`, opsDevice: { url: 'https://bench.invalid/a' }, otherSide: { url: 'https://bench.invalid/b' } }),
    endCall: async () => undefined,
    verifyWebhook: async () => ({ kind: 'ignored', reason: 'bench' }),
    health: async () => ({ ok: true }),
  };
}

/** The bridge's own part of a start on SQLite: ms with no provider latency, and how many log entries it wrote first. */
async function bridgeAlone(dir) {
  const store = sqliteStore({ filename: join(dir, `alone-${randomBytes(4).toString('hex')}.db`) });
  const bridge = createBridge({
    store,
    adapters: [inProcessAdapter()],
    rooms: [{ id: 'room-a', name: 'Room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles: { daily: 'room-a-device' } } }],
    personalDataKey: randomBytes(32),
  });
  try {
    // One start first, so the file's schema and first write are not counted against the bridge.
    await (await bridge.startVerification(START)).end();
    await bridge.idle();
    const before = (await store.head()).size;
    const started = performance.now();
    await bridge.startVerification(START);
    const ms = performance.now() - started;
    return { ms, entries: (await store.head()).size - before };
  } finally {
    await bridge.close();
    await store.close();
  }
}

/** Median ms of one bare durable commit (one row, WAL, synchronous=FULL) in the same directory. */
function rawCommitMs(dir) {
  const db = new Database(join(dir, `raw-${randomBytes(4).toString('hex')}.db`));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const times = [];
    for (let i = 0; i < 21; i += 1) {
      const started = performance.now();
      insert.run('x'.repeat(200));
      times.push(performance.now() - started);
    }
    return spread(times).median;
  } finally {
    db.close();
  }
}

/**
 * One round: every provider through the bridge (after ready() and at once) and its createCall alone. The
 * line's figure is the worst provider's createCall: through the bridge, its own durable commits in
 * series before the link (three before the create, one after, each an fsync) add about four bare
 * commits, which this line prints beside it rather than hides in the provider's figure.
 */
async function measure({ dir }) {
  const rows = [];
  for (const provider of Object.keys(PROVIDERS)) {
    const settled = await coldStart(provider, dir, true);
    const atOnce = await coldStart(provider, dir, false);
    const adapterOnly = await createOnly(provider);
    rows.push({ provider, settled, atOnce, adapterOnly });
  }
  const own = { ...(await bridgeAlone(dir)), commitMs: rawCommitMs(dir) };
  const ratio = (m) => m.ours / m.baseline;
  const worst = rows.reduce((a, b) => (ratio(b.adapterOnly) > ratio(a.adapterOnly) ? b : a));
  const detail = rows
    .map((r) => `${r.provider} ${ratio(r.adapterOnly).toFixed(2)}× (through the bridge ${ratio(r.settled).toFixed(2)}×, at once ${ratio(r.atOnce).toFixed(2)}×)`)
    .join(', ');
  return {
    ours: worst.adapterOnly.ours,
    baseline: worst.adapterOnly.baseline,
    detail: `worst of: ${detail}; bridge's own start ${own.ms.toFixed(1)} ms (${own.entries} entries; a bare commit ${own.commitMs.toFixed(1)} ms); ${LATENCY_MS} ms latency`,
    rows,
    own,
  };
}

/** One line of `npm run bench`: a ratio of our cost against a baseline measured in the same run. */
export default {
  name: 'join-link',
  target: 1.1,
  why: `a cold join link should cost one provider round trip: independent requests in parallel, tokens minted locally where the provider allows it; ours is the worst HTTP adapter's createCall, fresh and ready, baseline one bare fetch to the same fake at ${LATENCY_MS} ms latency; the bridge's own commits are in the detail`,
  measure,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const rounds = Number(process.env.VCB_BENCH_ROUNDS ?? 3);
  const perProvider = {};
  const own = [];
  for (let round = 0; round < rounds; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'vcb-join-'));
    try {
      const result = await measure({ dir, size: undefined });
      own.push(result.own);
      for (const row of result.rows) (perProvider[row.provider] ??= []).push(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (values) => spread(values).median;
  for (const [provider, rows] of Object.entries(perProvider)) {
    const settled = rows.map((r) => r.settled.ours / r.settled.baseline);
    const atOnce = rows.map((r) => r.atOnce.ours / r.atOnce.baseline);
    const alone = rows.map((r) => r.adapterOnly.ours / r.adapterOnly.baseline);
    const ms = median(rows.map((r) => r.settled.ours)).toFixed(1);
    const base = median(rows.map((r) => r.settled.baseline)).toFixed(1);
    console.log(
      `join-link ${provider.padEnd(12)} settled median ${median(settled).toFixed(2)}× (min ${Math.min(...settled).toFixed(2)}, max ${Math.max(...settled).toFixed(2)}; ${ms} ms vs ${base} ms)  at once ${median(atOnce).toFixed(2)}×  createCall alone ${median(alone).toFixed(2)}×  target 1.1`,
    );
  }
  console.log(
    `bridge's own start on SQLite, no provider latency: median ${median(own.map((o) => o.ms)).toFixed(1)} ms, ${own[0]?.entries} log entries before the link; one bare durable commit ${median(own.map((o) => o.commitMs)).toFixed(1)} ms`,
  );
}
