import { describe, expect, it } from 'vitest';
import {
  createCheckpointSigner,
  generateSigningKey,
  leafHash,
  merkleTreeHash,
  parseSigningKey,
  signCheckpoint,
  storeProver,
  toHex,
  verifyAgainstLoggedCheckpoints,
  verifyAuditLog,
  type BridgeStore,
  type CheckpointSigningKey,
  type LogWriter,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { openSandbox } from '../support/sandbox.js';
import { T0 } from '../stores/store-suite.js';

const KEY = parseSigningKey(generateSigningKey('police.example/vcb-audit-test').signingKey);
const OTHER = parseSigningKey(generateSigningKey('police.example/vcb-rotated').signingKey);
const writer = (store: BridgeStore): LogWriter => (input) => store.append(input, T0);

async function fill(store: BridgeStore, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await store.append({ type: 'test.event', source: 'sdk', data: { n: i } }, T0);
}

const sign = (store: BridgeStore, key: CheckpointSigningKey = KEY) => createCheckpointSigner({ key }).sign(store, writer(store));

/**
 * Appends a `checkpoint.signed` entry made by hand, as someone who rewrote the log and recomputed every
 * hash could: the store's own recompute accepts it, since its leaf hash is right.
 */
async function logForged(store: BridgeStore, options: { size: number; root?: Uint8Array; key?: CheckpointSigningKey; data?: Record<string, unknown>; note?: (note: string) => string }) {
  const key = options.key ?? KEY;
  const root = options.root ?? (await (await storeProver(store, options.size)).root());
  const note = signCheckpoint({ origin: key.name, size: options.size, root }, key);
  const data = { origin: key.name, size: options.size, root: toHex(root), verifierKey: key.verifierKey, note: options.note ? options.note(note) : note, ...options.data };
  return store.append({ type: 'checkpoint.signed', source: 'sdk', data }, T0);
}

const otherRoot = merkleTreeHash([leafHash(Buffer.from('not what was logged'))]);

describe('holding the log to the checkpoints it signed', () => {
  it('passes an intact log, naming every checkpoint key in the order first used, and logs how many were checked', async () => {
    const store = memoryStore();
    await fill(store, 4);
    await sign(store);
    await fill(store, 3);
    await sign(store, OTHER);
    await sign(store);
    expect(await store.verify()).not.toHaveProperty('checkpoints');
    const result = await verifyAuditLog(store, writer(store), { actor: 'test:auditor' });
    expect(result).toMatchObject({ ok: true, entries: 10, checkpoints: { count: 3, verifierKeys: [KEY.verifierKey, OTHER.verifierKey] } });
    expect((await store.readEntries()).at(-1)).toMatchObject({ type: 'audit.verified', data: { ok: true, entries: 10, checkpoints: 3 } });
  });

  it('catches a checkpoint whose root is not the recomputed one, naming the range since the last that matched', async () => {
    const store = memoryStore();
    await fill(store, 3);
    await sign(store);
    await fill(store, 2);
    await logForged(store, { size: 6, root: otherRoot });
    expect((await store.verify()).ok).toBe(true);
    expect(await verifyAgainstLoggedCheckpoints(store)).toMatchObject({
      ok: false,
      entries: 7,
      reason: 'checkpoint-root',
      firstBadIndex: 3,
      checkpointIndex: 6,
      detail: expect.stringMatching(/^entries 3 to 5 no longer have the root .* rewritten/),
    });
  });

  it('catches a checkpoint whose note does not open with the key its entry names', async () => {
    const flipLastSignatureChar = (note: string) => `${note.slice(0, -3)}${note.at(-3) === 'A' ? 'B' : 'A'}${note.slice(-2)}`;
    for (const forged of [{ data: { verifierKey: OTHER.verifierKey } }, { note: flipLastSignatureChar }]) {
      const store = memoryStore();
      await fill(store, 3);
      await logForged(store, { size: 3, ...forged });
      expect(await verifyAgainstLoggedCheckpoints(store)).toMatchObject({ ok: false, reason: 'checkpoint-signature', firstBadIndex: 3, checkpointIndex: 3 });
    }
  });

  it('refuses an entry that no longer reads as a checkpoint of the entries before it', async () => {
    const cases: Array<Parameters<typeof logForged>[1]> = [
      { size: 3, data: { note: 42 } },
      { size: 3, data: { verifierKey: 'not+a+key' } },
      { size: 3, data: { root: toHex(otherRoot) } },
      { size: 3, data: { size: 2 } },
      { size: 4, root: otherRoot },
      { size: 3, note: (note) => note.replace('\n3\n', '\n03\n') },
    ];
    for (const forged of cases) {
      const store = memoryStore();
      await fill(store, 3);
      await logForged(store, forged);
      expect(await verifyAgainstLoggedCheckpoints(store), JSON.stringify(forged.data ?? forged.size)).toMatchObject({ ok: false, reason: 'checkpoint-malformed', checkpointIndex: 3 });
    }
  });

  it('refuses a checkpoint entry whose size counts itself or later entries, rather than reading past the log', async () => {
    // Entry 3 can only sign entries 0 to 2: a size of 4 would cover itself, 9 entries not yet written.
    for (const size of [4, 5, 9]) {
      const store = memoryStore();
      await fill(store, 3);
      await logForged(store, { size, root: otherRoot });
      await fill(store, 5);
      expect(await verifyAgainstLoggedCheckpoints(store), `size ${size}`).toMatchObject({
        ok: false,
        reason: 'checkpoint-malformed',
        firstBadIndex: 3,
        checkpointIndex: 3,
        detail: 'entry 3 no longer holds a signed checkpoint of the entries before it',
      });
    }
  });

  it('accepts a smaller tree signed after a larger one (two servers signing at once), and still checks its root', async () => {
    const store = memoryStore();
    await fill(store, 4);
    await sign(store);
    await fill(store, 2);
    await logForged(store, { size: 3 });
    expect(await verifyAgainstLoggedCheckpoints(store)).toMatchObject({ ok: true, checkpoints: { count: 2 } });
    await logForged(store, { size: 2, root: otherRoot });
    expect(await verifyAgainstLoggedCheckpoints(store)).toMatchObject({ ok: false, reason: 'checkpoint-root', firstBadIndex: 0, checkpointIndex: 8 });
  });

  it('is what bridge.verifyLog runs', async () => {
    const box = await openSandbox();
    try {
      await box.start();
      const { size } = await box.store.head();
      await logForged(box.store, { size, root: otherRoot });
      expect((await box.store.verify()).ok).toBe(true);
      expect(await box.bridge.verifyLog({ actor: 'test:auditor' })).toMatchObject({ ok: false, reason: 'checkpoint-root', checkpointIndex: size });
    } finally {
      await box.close();
    }
  });
});
