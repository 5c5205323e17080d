// Join link, cold: from `startVerification` to the link, for every HTTP adapter, against its fake with
// provider latency injected. A fresh fake, adapter, bridge and SQLite file each round, so nothing the
// adapter learns (an access token, Daily's domain id) is left from an earlier round; modules are loaded
// once per process, as an app server loads them at boot. The adapter is made and, as an app server
// does at boot, its `ready()` awaited (what it fetches ahead at start: an OAuth token); the figure
// with no wait at all is printed in the detail as well ("at once").
// Baseline: one bare HTTP round trip (fetch) to the same fake with the same latency, in the same round.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { daily } from '../../dist/adapters/daily.js';
import { googleMeet } from '../../dist/adapters/google-meet.js';
import { teams } from '../../dist/adapters/teams.js';
import { zoom } from '../../dist/adapters/zoom.js';
import { createBridge } from '../../dist/index.js';
import sqliteStore from '../../dist/stores/sqlite.js';
import { startDailyFake, startGoogleMeetFake, startTeamsFake, startZoomFake } from '../../dist/testing/index.js';

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
    const baseline = await bareRoundTrip(setup.probe);
    const started = performance.now();
    const call = await bridge.startVerification(START);
    const ours = performance.now() - started;
    if (call.state !== 'created' || !call.join?.otherSide.url) throw new Error(`${provider}: no link (${call.state}, ${call.failure?.code ?? ''})`);
    return { ours, baseline };
  } finally {
    await bridge.close();
    await store.close();
    await setup.fake.close();
  }
}

/** One round: every provider after ready() and at once; the line's figure is the worst provider's settled ratio. */
async function measure({ dir }) {
  const rows = [];
  for (const provider of Object.keys(PROVIDERS)) {
    const settled = await coldStart(provider, dir, true);
    const atOnce = await coldStart(provider, dir, false);
    rows.push({ provider, settled, atOnce });
  }
  const ratio = (m) => m.ours / m.baseline;
  const worst = rows.reduce((a, b) => (ratio(b.settled) > ratio(a.settled) ? b : a));
  const detail = rows.map((r) => `${r.provider} ${ratio(r.settled).toFixed(2)}× (at once ${ratio(r.atOnce).toFixed(2)}×)`).join(', ');
  return { ours: worst.settled.ours, baseline: worst.settled.baseline, detail: `worst of: ${detail}; ${LATENCY_MS} ms latency`, rows };
}

/** One line of `npm run bench`: a ratio of our cost against a baseline measured in the same run. */
export default {
  name: 'join-link',
  target: 1.1,
  why: `a cold join link should cost one provider round trip: independent requests in parallel, tokens minted locally where the provider allows it; baseline one bare fetch to the same fake at ${LATENCY_MS} ms latency; the worst HTTP adapter counts`,
  measure,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const rounds = Number(process.env.VCB_BENCH_ROUNDS ?? 3);
  const perProvider = {};
  for (let round = 0; round < rounds; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'vcb-join-'));
    try {
      const result = await measure({ dir, size: undefined });
      for (const row of result.rows) (perProvider[row.provider] ??= []).push(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [provider, rows] of Object.entries(perProvider)) {
    const settled = rows.map((r) => r.settled.ours / r.settled.baseline);
    const atOnce = rows.map((r) => r.atOnce.ours / r.atOnce.baseline);
    const ms = median(rows.map((r) => r.settled.ours)).toFixed(1);
    const base = median(rows.map((r) => r.settled.baseline)).toFixed(1);
    console.log(
      `join-link ${provider.padEnd(12)} settled median ${median(settled).toFixed(2)}× (min ${Math.min(...settled).toFixed(2)}, max ${Math.max(...settled).toFixed(2)}; ${ms} ms vs ${base} ms)  at once ${median(atOnce).toFixed(2)}×  target 1.1`,
    );
  }
}
