// The import line: what importing the core costs against importing a provider SDK, each timed inside a
// fresh node process so nothing already loaded is counted.
import { childFigure } from '../child.mjs';
import { spread } from '../harness.mjs';
import { runIfMain } from '../alone.mjs';

const RUNS = 5;
const CORE = new URL('../../dist/index.js', import.meta.url).href;
const GOOGLE = import.meta.resolve('@googleapis/meet');

const importMs = (url) => childFigure(`const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`);

/** The core's import time against @googleapis/meet's, the median of RUNS fresh processes each, taken in turn. */
const line = {
  name: 'import',
  target: 0.25,
  why: 'an app pays for the core at every start, whichever provider it uses; the baseline is @googleapis/meet, the Google SDK the Meet adapter loads (the goal\'s 1/20 of the full googleapis package is about 0.5× it here, googleapis being about nine times as slow), and the core may cost a quarter of it',
  async measure() {
    const ours = [];
    const baseline = [];
    for (let run = 0; run < RUNS; run += 1) {
      ours.push(await importMs(CORE));
      baseline.push(await importMs(GOOGLE));
    }
    const [core, google] = [spread(ours).median, spread(baseline).median];
    return { ours: core, baseline: google, detail: `median of ${RUNS} processes: core ${core.toFixed(1)} ms, @googleapis/meet ${google.toFixed(1)} ms` };
  },
};

export default line;
await runIfMain(import.meta.url, line);
