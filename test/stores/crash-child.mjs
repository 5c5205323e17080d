// The appending process of scripts/crash-test.mjs, killed with SIGKILL at a random moment. It appends as
// fast as it can and writes each acknowledged entry to stdout, synchronously, before the next append:
// a line on stdout is the proof that the store said the entry was durable.
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

const [kind, target, schema, round] = process.argv.slice(2);
const { default: openStore } = await import(new URL(`../../dist/stores/${kind}.js`, import.meta.url).href);
// Started ahead of its round so loading Node and the package overlaps the previous round; the parent
// says when to open the store, which is after the previous child was killed.
process.stdin.once('end', () => process.exit(0));
await new Promise((resolve) => process.stdin.once('data', resolve));
const store = kind === 'sqlite' ? openStore({ filename: target }) : openStore({ connectionString: target, schema, maxConnections: 1 });
await store.head(); // a PostgreSQL store connects and creates its tables at first use
writeLine('ready\n');

// Several writers append at once, so a store that commits them in groups is killed mid-group too. Each
// line is written the moment its append is acknowledged, whatever the other writers are doing.
const writers = Number(process.env.VCB_CRASH_WRITERS ?? 1);
await Promise.all(Array.from({ length: writers }, (_, writer) => appendForever(writer)));

async function appendForever(writer) {
  for (let n = 0; ; n += 1) {
    // Sizes vary so SQLite's pages and PostgreSQL's TOAST are written in different shapes; every third entry
    // carries a provider event id so the unique index is in play too.
    const input = {
      type: 'crash.append',
      source: n % 3 === 0 ? 'provider' : 'sdk',
      verificationId: `round-${round}`,
      ...(n % 3 === 0 ? { provider: 'daily', providerEventId: `round-${round}-writer-${writer}-event-${n}` } : {}),
      data: { round: Number(round), writer, n, pad: 'x'.repeat(Math.floor(Math.random() * 2_500)) },
    };
    const entry = await store.append(input, Date.now());
    writeLine(`${JSON.stringify(entry)}\n`);
  }
}

// The whole line, before the next append. stdout is a non-blocking pipe: when the parent falls behind
// reading it (a loaded machine, a fast store), a write fails with EAGAIN or goes in part; wait and go on.
function writeLine(text) {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
