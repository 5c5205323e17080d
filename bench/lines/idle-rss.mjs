// The idle-rss line: the resident memory of a process that has imported the core, all seven adapters and
// the SQLite store and holds an idle bridge, against a bare node process's, both read after the same wait.
import { join } from 'node:path';
import { childFigure } from '../child.mjs';
import { spread } from '../harness.mjs';
import { runIfMain } from '../alone.mjs';

const RUNS = 3;
const IDLE_MS = 2000;
const ADAPTERS = ['agora', 'daily', 'facetime', 'google-meet', 'teams', 'whatsapp', 'zoom'];
const dist = (path) => new URL(`../../dist/${path}`, import.meta.url).href;

const afterIdle = `await new Promise((resolve) => setTimeout(resolve, ${IDLE_MS})); console.log(process.memoryUsage().rss);`;

// Each adapter built with its defaults (credentials are read at first use), one room whose device has a handle on each.
function bridgeProcess(filename) {
  return `
    const { createBridge } = await import(${JSON.stringify(dist('index.js'))});
    const adapters = [];
    for (const name of ${JSON.stringify(ADAPTERS)}) {
      const factory = (await import(${JSON.stringify(dist('adapters/'))} + name + '.js')).default;
      adapters.push(factory(name === 'whatsapp' ? { clients: {} } : {}));
    }
    const sqliteStore = (await import(${JSON.stringify(dist('stores/sqlite.js'))})).default;
    const store = sqliteStore({ filename: ${JSON.stringify(filename)} });
    const handles = Object.fromEntries(adapters.map((adapter) => [adapter.provider, 'room-a-device']));
    const room = { id: 'room-a', name: 'Room A', publishedPhoneNumber: '+442072221234', device: { id: 'room-a-device', handles } };
    const bridge = createBridge({ store, adapters, rooms: [room], personalDataKey: new Uint8Array(32).fill(7) });
    ${afterIdle}
    await bridge.close();
    await store.close();`;
}

/** Idle RSS with everything loaded against a bare `node -e` process's RSS, the median of RUNS processes each. */
const line = {
  name: 'idle-rss',
  target: 1.2,
  why: 'goal 7 allows 50 MB with seven adapters and SQLite; a bare node process holds about 41 MB here, so the SDK may add a fifth to it',
  async measure({ dir }) {
    const ours = [];
    const baseline = [];
    for (let run = 0; run < RUNS; run += 1) {
      ours.push(await childFigure(bridgeProcess(join(dir, `idle-${run}.db`))));
      baseline.push(await childFigure(afterIdle));
    }
    const [loaded, bare] = [spread(ours).median / 1e6, spread(baseline).median / 1e6];
    return { ours: loaded, baseline: bare, detail: `RSS after ${IDLE_MS / 1000} s idle: ${loaded.toFixed(1)} MB with 7 adapters, SQLite and a bridge; bare node ${bare.toFixed(1)} MB` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
