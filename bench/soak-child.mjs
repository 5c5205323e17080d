// Run by the soak line in its own process (node --expose-gc): verifications one after another through a
// bridge on SQLite, printing as JSON the heap after a full collection at each checkpoint of finished calls.
import sqliteStore from '../dist/stores/sqlite.js';
import { benchBridge, oneVerification } from './store-backed-calls.mjs';

const [filename, checkpointList] = process.argv.slice(2);
const checkpoints = checkpointList.split(',').map(Number);

function heapAfterGc() {
  // Twice: the first collection can leave what only a second one finds unreachable (weak callbacks, finalisers).
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const store = sqliteStore({ filename });
const bridge = benchBridge(store);
const heap = {};
let finished = 0;
for (const checkpoint of checkpoints) {
  while (finished < checkpoint) await oneVerification(bridge, finished++);
  // Let timers and callbacks the last call left behind run, as an idle moment in a real server would.
  await new Promise((resolve) => setTimeout(resolve, 50));
  heap[checkpoint] = heapAfterGc();
}
await bridge.close();
await store.close();
console.log(JSON.stringify(heap));
