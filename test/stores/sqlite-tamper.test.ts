import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BridgeError,
  leafBytes,
  leafHash,
  merkleTreeHash,
  type AuditEntryInput,
  type AuditVerification,
  type BridgeStore,
} from '../../src/index.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { decodeEntryRow, type EntryRow } from '../../src/stores/sqlite/schema.js';
import { T0 } from './store-suite.js';

/** Ten entries mixing every optional field; row 6 has all of them, row 1 has no providerEventId. */
const LOG: AuditEntryInput[] = [
  { verificationId: 'ver-1', type: 'call.requested', source: 'sdk', actor: 'PC-1234', data: { requestedBy: { collarHash: 'ab12' }, reason: 'verify' } },
  { type: 'router.device-chosen', source: 'sdk', data: { device: 'ops-1', candidates: ['ops-1', 'ops-2'] } },
  {
    verificationId: 'ver-1',
    type: 'participant.joined',
    source: 'provider',
    provider: 'daily',
    providerEventId: 'evt-2',
    providerAt: '2026-01-01T10:00:01.500Z',
    data: { participant: { role: 'officer' } },
  },
  { verificationId: 'ver-1', type: 'participant.joined', source: 'provider', provider: 'daily', providerEventId: 'evt-3', data: { participant: { role: 'ops' } } },
  { type: 'audit.read', source: 'operator', actor: 'SGT-9', data: { query: { verificationId: 'ver-1' }, rows: [1, 2, 3] } },
  { verificationId: 'ver-2', type: 'call.requested', source: 'sdk', data: { attempt: 1, flags: { urgent: true, note: null } } },
  {
    verificationId: 'ver-2',
    type: 'call.ended',
    source: 'provider',
    provider: 'daily',
    actor: 'ops-room',
    providerEventId: 'evt-6',
    providerAt: '2026-01-01T10:00:05.250Z',
    data: { outcome: { verified: true, durationMs: 45_000 }, tags: ['a', 'b'] },
  },
  { verificationId: 'ver-2', type: 'call.verified', source: 'operator', actor: 'SGT-9', data: { decision: 'confirmed' } },
  { type: 'provider.unmatched-event', source: 'provider', provider: 'twilio', providerEventId: 'evt-6', data: { providerCallId: 'CA1' } },
  { verificationId: 'ver-1', type: 'call.ended', source: 'sdk', providerAt: '2026-01-01T10:00:09.000Z', data: { outcome: { verified: false } } },
];

let dir: string;
let file: string;
const stores: BridgeStore[] = [];

function openStore(): BridgeStore {
  const store = sqliteStore({ filename: file });
  stores.push(store);
  return store;
}

/** Edits the file as an attacker with a SQLite shell would: a separate connection, no store code. */
function tamper(edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    db.transaction(() => edit(db))();
  } finally {
    db.close();
  }
}

function row(db: Database.Database, idx: number): EntryRow {
  const found = db.prepare<[number], EntryRow>('SELECT * FROM audit_entries WHERE idx = ?').get(idx);
  if (!found) throw new Error(`no row ${idx}`);
  return found;
}

function update(db: Database.Database, sql: string, ...params: unknown[]): void {
  expect(db.prepare(sql).run(...params).changes, sql).toBe(1);
}

function flipFirstByte(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  copy[0] = copy[0]! ^ 0xff;
  return copy;
}

/** Moves rows idx >= from by `by` (±1), one row at a time so the primary key never collides. */
function renumber(db: Database.Database, from: number, by: 1 | -1): void {
  const indexes = db
    .prepare<[number], { idx: number }>('SELECT idx FROM audit_entries WHERE idx >= ? ORDER BY idx')
    .all(from)
    .map((r) => r.idx);
  if (by > 0) indexes.reverse();
  for (const idx of indexes) update(db, 'UPDATE audit_entries SET idx = ? WHERE idx = ?', idx + by, idx);
}

const INSERT = `INSERT INTO audit_entries (idx, verification_id, type, at, provider_at, source, provider, actor, provider_event_id, data, leaf_hash, tree_root)
  VALUES (@idx, @verification_id, @type, @at, @provider_at, @source, @provider, @actor, @provider_event_id, @data, @leaf_hash, @tree_root)`;

async function verifyReopened(): Promise<AuditVerification> {
  return openStore().verify();
}

function failure(result: AuditVerification): { firstBadIndex: number; reason: string } {
  if (result.ok) throw new Error(`expected verify() to fail, got ${JSON.stringify(result)}`);
  return { firstBadIndex: result.firstBadIndex, reason: result.reason };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcb-'));
  file = path.join(dir, 'bridge.db');
  const store = sqliteStore({ filename: file });
  for (const [i, input] of LOG.entries()) await store.append(input, T0 + i * 1_000);
  expect(await store.verify()).toMatchObject({ ok: true, entries: 10 });
  await store.close();
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sqlite tamper detection', () => {
  it('verifies the untouched file after reopening', async () => {
    expect(await verifyReopened()).toMatchObject({ ok: true, entries: 10 });
  });

  it('catches edited data in row 4 as altered', async () => {
    tamper((db) => {
      const data = JSON.parse(row(db, 4).data) as { rows: number[] };
      data.rows = [1, 2];
      update(db, 'UPDATE audit_entries SET data = ? WHERE idx = 4', JSON.stringify(data));
    });
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 4, reason: 'altered' });
    expect(result.entries).toBe(10);
  });

  it.each([
    ['at', '2026-01-01T09:00:06.000Z'],
    ['type', 'call.started'],
    ['actor', 'someone-else'],
    ['verification_id', 'ver-9'],
    ['provider_at', '2026-01-01T10:00:05.251Z'],
    ['source', 'operator'],
    ['provider', 'vonage'],
    ['provider_event_id', 'evt-66'],
  ])('catches a changed %s in row 6 as altered', async (column, value) => {
    tamper((db) => {
      const before = (row(db, 6) as unknown as Record<string, unknown>)[column];
      expect(before, `row 6 must have a ${column} to change`).not.toBeNull();
      expect(before).not.toBe(value);
      update(db, `UPDATE audit_entries SET ${column} = ? WHERE idx = 6`, value);
    });
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 6, reason: 'altered' });
  });

  it('catches data that is no longer JSON in row 2 as altered', async () => {
    tamper((db) => update(db, 'UPDATE audit_entries SET data = ? WHERE idx = 2', '{"participant":{"role":'));
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 2, reason: 'altered' });
  });

  it('catches a changed leaf_hash in row 3 as altered', async () => {
    tamper((db) => update(db, 'UPDATE audit_entries SET leaf_hash = ? WHERE idx = 3', flipFirstByte(row(db, 3).leaf_hash)));
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 3, reason: 'altered' });
  });

  it('catches a changed tree_root in row 7 as altered', async () => {
    tamper((db) => update(db, 'UPDATE audit_entries SET tree_root = ? WHERE idx = 7', flipFirstByte(row(db, 7).tree_root)));
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 7, reason: 'altered' });
  });

  it('catches a deleted row 5 as removed', async () => {
    tamper((db) => update(db, 'DELETE FROM audit_entries WHERE idx = 5'));
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 5, reason: 'removed' });
    expect(result.entries).toBe(9);
  });

  it('catches a deleted row 5 with the later rows renumbered down as removed', async () => {
    tamper((db) => {
      update(db, 'DELETE FROM audit_entries WHERE idx = 5');
      renumber(db, 6, -1);
    });
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 5, reason: 'removed' });
    expect(result.entries).toBe(9);
  });

  it('catches a forged row at idx 3 (a replay of entry 1) with the later rows renumbered up as inserted', async () => {
    tamper((db) => {
      const replayed = row(db, 1);
      expect(replayed.provider_event_id).toBeNull();
      renumber(db, 3, 1);
      db.prepare(INSERT).run({ ...replayed, idx: 3 });
    });
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 3, reason: 'inserted' });
    expect(result.entries).toBe(11);
  });

  it('catches a self-consistent forged row at idx 3 (own leaf hash and root) at the next row, as inserted', async () => {
    // The forged row agrees with rows 0..2, so the first row that disagrees is the displaced original entry 3.
    tamper((db) => {
      renumber(db, 3, 1);
      const template = { ...row(db, 1), idx: 3, type: 'call.verified', data: JSON.stringify({ decision: 'forged' }) };
      const forgedLeaf = leafHash(leafBytes(decodeEntryRow(template)));
      const leaves = [0, 1, 2].map((i) => row(db, i).leaf_hash as Uint8Array);
      db.prepare(INSERT).run({
        ...template,
        leaf_hash: Buffer.from(forgedLeaf),
        tree_root: Buffer.from(merkleTreeHash([...leaves, forgedLeaf])),
      });
    });
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 4, reason: 'inserted' });
  });

  it('catches a forged row at idx 3 with made-up hashes as altered', async () => {
    tamper((db) => {
      renumber(db, 3, 1);
      db.prepare(INSERT).run({
        ...row(db, 2),
        idx: 3,
        provider_event_id: 'evt-forged',
        data: JSON.stringify({ participant: { role: 'forged' } }),
        leaf_hash: Buffer.alloc(32, 7),
        tree_root: Buffer.alloc(32, 9),
      });
    });
    expect(failure(await verifyReopened())).toEqual({ firstBadIndex: 3, reason: 'altered' });
  });

  it('catches rows 2 and 8 swapped through a temporary idx as reordered', async () => {
    tamper((db) => {
      update(db, 'UPDATE audit_entries SET idx = -1 WHERE idx = 2');
      update(db, 'UPDATE audit_entries SET idx = 2 WHERE idx = 8');
      update(db, 'UPDATE audit_entries SET idx = 8 WHERE idx = -1');
    });
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 2, reason: 'reordered' });
    expect(result.entries).toBe(10);
  });

  it('catches edited data in row 4 even when the attacker recomputes its leaf_hash, through the stored tree_root', async () => {
    tamper((db) => {
      const original = row(db, 4);
      const data = JSON.parse(original.data) as { rows: number[] };
      data.rows = [1, 2];
      const edited = decodeEntryRow({ ...original, data: JSON.stringify(data) });
      expect(edited.index).toBe(4);
      update(
        db,
        'UPDATE audit_entries SET data = ?, leaf_hash = ? WHERE idx = 4',
        JSON.stringify(data),
        Buffer.from(leafHash(leafBytes(edited))),
      );
    });
    const result = await verifyReopened();
    expect(failure(result)).toEqual({ firstBadIndex: 4, reason: 'altered' });
    expect(result.ok ? '' : result.detail).toMatch(/tree root/);
  });

  describe('appending after tampering', () => {
    // label, tamper, first bad index, reason, index the next append gets, original rows still stored bit for bit
    const cases: [string, (db: Database.Database) => void, number, string, number, number][] = [
      [
        'edited data in row 4',
        (db) => update(db, 'UPDATE audit_entries SET data = ? WHERE idx = 4', '{"rows":[]}'),
        4,
        'altered',
        10,
        9,
      ],
      ['a changed leaf_hash in row 3', (db) => update(db, 'UPDATE audit_entries SET leaf_hash = ? WHERE idx = 3', Buffer.alloc(32)), 3, 'altered', 10, 9],
      ['row 2 no longer JSON', (db) => update(db, 'UPDATE audit_entries SET data = ? WHERE idx = 2', 'not json'), 2, 'altered', 10, 9],
      ['row 5 deleted', (db) => update(db, 'DELETE FROM audit_entries WHERE idx = 5'), 5, 'removed', 10, 9],
      [
        'row 5 deleted and the rest renumbered',
        (db) => {
          update(db, 'DELETE FROM audit_entries WHERE idx = 5');
          renumber(db, 6, -1);
        },
        5,
        'removed',
        9,
        5,
      ],
      [
        'rows 2 and 8 swapped',
        (db) => {
          update(db, 'UPDATE audit_entries SET idx = -1 WHERE idx = 2');
          update(db, 'UPDATE audit_entries SET idx = 2 WHERE idx = 8');
          update(db, 'UPDATE audit_entries SET idx = 8 WHERE idx = -1');
        },
        2,
        'reordered',
        10,
        8,
      ],
    ];

    it.each(cases)('still appends after %s and verify still names the original bad index', async (_label, edit, badIndex, reason, nextIndex, intactRows) => {
      const fingerprint = (r: EntryRow) => JSON.stringify({ ...r, leaf_hash: r.leaf_hash.toString('hex'), tree_root: r.tree_root.toString('hex') });
      const readRaw = () => {
        const raw = new Database(file, { readonly: true });
        try {
          return raw.prepare<[], EntryRow>('SELECT * FROM audit_entries ORDER BY idx').all();
        } finally {
          raw.close();
        }
      };
      const original = new Set(readRaw().map(fingerprint));
      tamper(edit);
      const storedAfterTamper = readRaw().length;
      const store = openStore();
      const before = failure(await store.verify());
      expect(before).toEqual({ firstBadIndex: badIndex, reason });

      const appended = await store.append({ type: 'audit.checked', source: 'sdk', data: { afterTamper: true } }, T0 + 60_000);
      expect(appended.index).toBe(nextIndex);
      const after = await store.verify();
      expect(failure(after)).toEqual({ firstBadIndex: badIndex, reason });
      expect(after.entries).toBe(storedAfterTamper + 1);

      // Nothing that was logged is lost: every row the attacker did not touch is still stored as it was, plus the new one.
      const rows = readRaw();
      expect(rows).toHaveLength(storedAfterTamper + 1);
      expect(rows.filter((r) => original.has(fingerprint(r)))).toHaveLength(intactRows);
      expect(rows.at(-1)?.idx).toBe(nextIndex);
      expect(JSON.parse(rows.at(-1)!.data)).toEqual({ afterTamper: true });
    });
  });

  it('makes readEntries throw AUDIT_TAMPERED when a row is no longer JSON', async () => {
    tamper((db) => update(db, 'UPDATE audit_entries SET data = ? WHERE idx = 2', 'not json'));
    const store = openStore();
    let error: unknown;
    try {
      await store.readEntries();
    } catch (thrown) {
      error = thrown;
    }
    expect(BridgeError.isInstance(error)).toBe(true);
    expect((error as BridgeError).code).toBe('AUDIT_TAMPERED');
    expect((error as BridgeError).message).toContain('entry 2');
    expect((error as BridgeError).cause).toBeInstanceOf(SyntaxError);
  });
});
