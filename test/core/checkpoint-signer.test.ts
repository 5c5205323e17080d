import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compareWithCheckpoint,
  createCheckpointSigner,
  createMerkleProver,
  generateSigningKey,
  latestCheckpoint,
  leafHash,
  parseSigningKey,
  sealVerification,
  storeProver,
  toHex,
  type AuditEntryInput,
  type BridgeStore,
  type LogWriter,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { rewriteHistory, truncateLog } from '../support/rewrite-sqlite.js';
import { expectBridgeError, T0 } from '../stores/store-suite.js';

const KEY = parseSigningKey(generateSigningKey('police.example/vcb-signer-test').signingKey);
const dirs: string[] = [];
const stores: BridgeStore[] = [];
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function sqliteFile(): { path: string; store: BridgeStore } {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-signer-'));
  dirs.push(dir);
  const path = join(dir, 'evidence.db');
  return { path, store: open(path) };
}

function open(path: string): BridgeStore {
  const store = sqliteStore({ filename: path });
  stores.push(store);
  return store;
}

const writer = (store: BridgeStore): LogWriter => (input) => store.append(input, T0);
const event = (n: number, verificationId = 'ver-a'): AuditEntryInput => ({ verificationId, type: 'test.event', source: 'sdk', data: { n } });

async function fill(store: BridgeStore, count: number): Promise<void> {
  const from = (await store.head()).size;
  for (let i = from; i < from + count; i += 1) await store.append(event(i, i % 2 ? 'ver-a' : 'ver-b'), T0 + i);
}

describe('createCheckpointSigner', () => {
  it('signs the current tree with the key name as origin, and logs the note as an entry after it', async () => {
    const store = memoryStore();
    await fill(store, 5);
    const signed = await createCheckpointSigner({ key: KEY }).sign(store, writer(store));
    expect(signed).toMatchObject({ origin: KEY.name, size: 5, entryIndex: 5, verifierKey: KEY.verifierKey });
    const [entry] = await store.readEntries({ fromIndex: 5 });
    expect(entry).toMatchObject({ type: 'checkpoint.signed', source: 'sdk', data: { origin: KEY.name, size: 5, root: toHex(signed.root), note: signed.note } });
    expect(entry!.data.note).toMatch(new RegExp(`^${KEY.name}\\n5\\n[A-Za-z0-9+/]{43}=\\n\\n— ${KEY.name} `));
    expect(JSON.stringify(await store.readEntries())).not.toContain('PRIVATE');
  });

  it('uses a given origin, and refuses one that is not a single line', () => {
    expect(createCheckpointSigner({ key: KEY, origin: 'Metropolitan Police evidence log' }).origin).toBe('Metropolitan Police evidence log');
    expect(() => createCheckpointSigner({ key: KEY, origin: 'two\nlines' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => createCheckpointSigner({ key: KEY, origin: '' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('signs one at a time when asked concurrently, each covering the entries before it', async () => {
    const store = memoryStore();
    await fill(store, 3);
    const signer = createCheckpointSigner({ key: KEY });
    const signed = await Promise.all([signer.sign(store, writer(store)), signer.sign(store, writer(store)), signer.sign(store, writer(store))]);
    expect(signed.map((s) => [s.size, s.entryIndex])).toEqual([[3, 3], [4, 4], [5, 5]]);
  });

  it('refuses to sign a log truncated below its last checkpoint, with AUDIT_TAMPERED and reason truncated', async () => {
    const { path, store } = sqliteFile();
    await fill(store, 8);
    const signer = createCheckpointSigner({ key: KEY });
    await signer.sign(store, writer(store));
    await fill(store, 3);
    truncateLog(path, 6);
    expect(await store.verify()).toMatchObject({ ok: true, entries: 6 });
    const error = await expectBridgeError(signer.sign(store, writer(store)), 'AUDIT_TAMPERED');
    expect(error.details).toEqual({ reason: 'truncated', checkpointSize: 8, logSize: 6 });
    expect((await store.head()).size).toBe(6);
  });

  it('refuses to sign after history was rewritten with every hash recomputed, even in a new process', async () => {
    const { path, store } = sqliteFile();
    await fill(store, 8);
    await createCheckpointSigner({ key: KEY }).sign(store, writer(store));
    await fill(store, 2);
    await store.close();
    rewriteHistory(path, 3, (data) => ({ ...data, n: 'rewritten' }));
    const reopened = open(path);
    expect(await reopened.verify()).toMatchObject({ ok: true, entries: 11 });
    const error = await expectBridgeError(createCheckpointSigner({ key: KEY }).sign(reopened, writer(reopened)), 'AUDIT_TAMPERED');
    expect(error.details).toMatchObject({ reason: 'inconsistent', checkpointSize: 8 });
    expect(error.message).toMatch(/rewritten/);
    expect((await reopened.head()).size).toBe(11);
  });

  it('checks against the log’s newest checkpoint even one another signer (another process, another key) wrote', async () => {
    const { path, store } = sqliteFile();
    await fill(store, 4);
    const other = parseSigningKey(generateSigningKey('police.example/old-key').signingKey);
    await createCheckpointSigner({ key: other }).sign(store, writer(store));
    rewriteHistory(path, 1, (data) => ({ ...data, n: 'rewritten' }));
    await expectBridgeError(createCheckpointSigner({ key: KEY }).sign(open(path), writer(store)), 'AUDIT_TAMPERED');
  });

  it('refuses when the recorded head does not match the leaf hashes', async () => {
    const { path, store } = sqliteFile();
    await fill(store, 4);
    const db = new Database(path);
    db.prepare('UPDATE audit_entries SET tree_root = zeroblob(32) WHERE idx = 3').run();
    db.close();
    await expectBridgeError(createCheckpointSigner({ key: KEY }).sign(store, writer(store)), 'AUDIT_TAMPERED');
  });
});

describe('compareWithCheckpoint', async () => {
  const leaves = Array.from({ length: 9 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const checkpoint = { origin: 'o', size: 6, root: await createMerkleProver(leaves.slice(0, 6)).root() };

  it('is ok for the same tree and any tree that extends it', async () => {
    expect(await compareWithCheckpoint(createMerkleProver(leaves.slice(0, 6)), checkpoint)).toMatchObject({ ok: true, size: 6 });
    expect(await compareWithCheckpoint(createMerkleProver(leaves), checkpoint)).toEqual({ ok: true, size: 9, root: toHex(await createMerkleProver(leaves).root()) });
  });

  it('says truncated for a smaller tree and inconsistent for a tree whose first entries changed', async () => {
    expect(await compareWithCheckpoint(createMerkleProver(leaves.slice(0, 5)), checkpoint)).toMatchObject({ ok: false, reason: 'truncated' });
    const changed = [...leaves];
    changed[2] = leafHash(Buffer.from('changed'));
    expect(await compareWithCheckpoint(createMerkleProver(changed), checkpoint)).toMatchObject({ ok: false, reason: 'inconsistent' });
    expect(await compareWithCheckpoint(createMerkleProver(changed.slice(0, 6)), checkpoint)).toMatchObject({ ok: false, reason: 'inconsistent' });
  });
});

describe('latestCheckpoint and sealVerification', () => {
  it('finds the newest checkpoint from any index, or none', async () => {
    const store = memoryStore();
    expect(await latestCheckpoint(store)).toBeUndefined();
    await fill(store, 2);
    const signer = createCheckpointSigner({ key: KEY });
    const first = await signer.sign(store, writer(store));
    await fill(store, 2);
    const second = await signer.sign(store, writer(store));
    expect((await latestCheckpoint(store))?.entryIndex).toBe(second.entryIndex);
    expect((await latestCheckpoint(store, first.entryIndex + 1))?.size).toBe(second.size);
    expect(await latestCheckpoint(store, second.entryIndex + 1)).toBeUndefined();
  });

  it('seals a verification by listing all its entries so far', async () => {
    const store = memoryStore();
    await fill(store, 7);
    const seal = await sealVerification(store, writer(store), 'ver-a');
    expect(seal).toMatchObject({ index: 7, type: 'verification.sealed', verificationId: 'ver-a', data: { entries: [1, 3, 5] } });
    await expectBridgeError(sealVerification(store, writer(store), 'ver-none'), 'NOT_FOUND');
  });

  it('gives proofs only over leaves the store has', async () => {
    const store = memoryStore();
    await fill(store, 3);
    await expectBridgeError(storeProver(store, 4), 'INVALID_INPUT');
  });
});
