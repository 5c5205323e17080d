import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BridgeError,
  createCheckpointSigner,
  createMerkleProver,
  latestCheckpoint,
  leafBytes,
  leafHash,
  merkleTreeHash,
  openCheckpoint,
  parseSigningKey,
  parseVerifierKey,
  storeProver,
  toHex,
  verifyConsistencyProof,
  verifyInclusionProof,
  type AppendOptions,
  type AuditEntry,
  type AuditEntryInput,
  type BridgeStore,
  type CallChange,
  type CallFields,
  type CallQuery,
  type CallRecord,
  type CallState,
  type DeviceLease,
  type ErrorCode,
  type LeaseFence,
  type LeaseRequest,
} from '../../src/index.js';

/** What a store factory hands the suite. The suite closes `store` itself, then calls `cleanup`. */
export interface StoreUnderTest {
  store: BridgeStore;
  /** Runs after the store has been closed (remove temp files, drop a schema, …). */
  cleanup?: () => Promise<void>;
}

/** Creates a fresh, empty store for one test. */
export type StoreFactory = () => Promise<StoreUnderTest> | StoreUnderTest;

/** SHA-256 of the empty string, written out so the suite does not trust the code under test for it. */
export const EMPTY_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// A checkpoint key made for these tests (python3 `cryptography`, seed bytes 0..31); it guards nothing.
const TEST_SIGNING_KEY = 'PRIVATE+KEY+police.example/vcb-test+d0cd039b+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f';

/** 2026-01-01T10:00:00.000Z in epoch milliseconds. */
export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0, 0);

/** Awaits a promise that must reject with a BridgeError of `code`; returns the error. */
export async function expectBridgeError(promise: Promise<unknown>, code: ErrorCode): Promise<BridgeError> {
  let failed = false;
  let error: unknown;
  try {
    await promise;
  } catch (thrown) {
    failed = true;
    error = thrown;
  }
  expect(failed, `expected a ${code} failure, but the call succeeded`).toBe(true);
  expect(BridgeError.isInstance(error), `expected a BridgeError, got ${String(error)}`).toBe(true);
  expect((error as BridgeError).code).toBe(code);
  return error as BridgeError;
}

/** Hex RFC 9162 root over the leaf hashes of `entries`, computed from scratch. */
export function expectedRootHex(entries: readonly AuditEntry[]): string {
  return toHex(merkleTreeHash(entries.map((entry) => leafHash(leafBytes(entry)))));
}

function simple(n: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { type: 'test.event', source: 'sdk', data: { n }, ...extra };
}

/**
 * The contract every `BridgeStore` must meet (see src/core/audit/store.ts and src/core/leases.ts).
 * `create` must return an empty store each time.
 */
export function testStore(name: string, create: StoreFactory): void {
  describe(`BridgeStore contract: ${name}`, () => {
    let store: BridgeStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await create();
      store = made.store;
      cleanup = made.cleanup;
      expect((await store.head()).size, 'the factory must hand out an empty store').toBe(0);
    });

    afterEach(async () => {
      try {
        await store.close();
      } catch {
        // Some tests close the store themselves.
      }
      await cleanup?.();
    });

    describe('append', () => {
      it('assigns indexes 0, 1, 2, … in order', async () => {
        const indexes: number[] = [];
        for (let i = 0; i < 6; i += 1) indexes.push((await store.append(simple(i), T0 + i)).index);
        expect(indexes).toEqual([0, 1, 2, 3, 4, 5]);
        expect((await store.head()).size).toBe(6);
      });

      it('stores exactly the given fields plus index and at', async () => {
        const entry = await store.append(
          {
            verificationId: 'ver-1',
            type: 'call.requested',
            source: 'operator',
            provider: 'daily',
            actor: 'PC-1234',
            providerEventId: 'evt-1',
            data: { device: 'ops-1' },
          },
          T0,
        );
        expect(entry).toStrictEqual({
          index: 0,
          at: '2026-01-01T10:00:00.000Z',
          verificationId: 'ver-1',
          type: 'call.requested',
          source: 'operator',
          provider: 'daily',
          actor: 'PC-1234',
          providerEventId: 'evt-1',
          data: { device: 'ops-1' },
        });
      });

      it('sets at to atMs formatted as ISO 8601 UTC with milliseconds', async () => {
        const first = await store.append(simple(0), T0);
        const second = await store.append(simple(1), T0 + 61_234);
        expect(first.at).toBe('2026-01-01T10:00:00.000Z');
        expect(second.at).toBe('2026-01-01T10:01:01.234Z');
        expect((await store.readEntries()).map((e) => e.at)).toEqual([first.at, second.at]);
      });

      it('never lets at run backwards when atMs steps back', async () => {
        const ats: string[] = [];
        for (const atMs of [T0 + 5_000, T0, T0 + 4_999, T0 + 6_000, T0 - 3_600_000, T0 + 6_001]) {
          ats.push((await store.append(simple(ats.length), atMs)).at);
        }
        expect(ats).toEqual([
          '2026-01-01T10:00:05.000Z',
          '2026-01-01T10:00:05.000Z',
          '2026-01-01T10:00:05.000Z',
          '2026-01-01T10:00:06.000Z',
          '2026-01-01T10:00:06.000Z',
          '2026-01-01T10:00:06.001Z',
        ]);
        expect((await store.readEntries()).map((e) => e.at)).toEqual(ats);
      });

      it('records skewMs only when providerAt is given', async () => {
        const plain = await store.append(simple(0), T0);
        const late = await store.append(simple(1, { providerAt: '2026-01-01T09:59:58.500Z' }), T0 + 1_000);
        const early = await store.append(simple(2, { providerAt: '2026-01-01T10:00:04.000Z' }), T0 + 2_000);
        expect('skewMs' in plain).toBe(false);
        expect('providerAt' in plain).toBe(false);
        expect(late.providerAt).toBe('2026-01-01T09:59:58.500Z');
        expect(late.skewMs).toBe(2_500);
        expect(early.skewMs).toBe(-2_000);
        const read = await store.readEntries();
        expect(read.map((e) => ('skewMs' in e ? e.skewMs : 'absent'))).toEqual(['absent', 2_500, -2_000]);
      });

      it('returns entries deep-equal to what readEntries gives back, nested data included', async () => {
        const inputs: AuditEntryInput[] = [
          {
            verificationId: 'ver-1',
            type: 'call.requested',
            source: 'sdk',
            data: {
              officer: { collarHash: 'ab12', force: { code: 'MET', region: ['London', 'SE'] } },
              attempts: 3,
              ratio: 0.25,
              big: 1e21,
              negative: -17.5,
              ok: true,
              missing: null,
              empty: {},
              emptyList: [],
              mixed: [1, 'two', [3, { four: 4 }], null, false],
              text: 'Zoë ✓ 👮 "quoted" \\ back\nline',
            },
          },
          { type: 'router.device-chosen', source: 'sdk', actor: 'router', data: {} },
          {
            verificationId: 'ver-1',
            type: 'participant.joined',
            source: 'provider',
            provider: 'daily',
            providerEventId: 'evt-9',
            providerAt: '2026-01-01T10:00:01.000Z',
            data: { participant: { role: 'officer', ids: [1, 2, 3] } },
          },
        ];
        const returned: AuditEntry[] = [];
        for (const [i, input] of inputs.entries()) returned.push(await store.append(input, T0 + i * 1_000));
        const read = await store.readEntries();
        expect(read).toStrictEqual(returned);
        expect(read[0]?.data).toStrictEqual(inputs[0]?.data);
      });

      it('is not affected by later changes to the caller’s input object', async () => {
        const input: AuditEntryInput = { type: 'test.event', source: 'sdk', data: { nested: { value: 1 }, list: [1] } };
        await store.append(input, T0);
        (input.data.nested as { value: number }).value = 2;
        (input.data.list as number[]).push(2);
        input.type = 'test.changed';
        const [entry] = await store.readEntries();
        expect(entry?.type).toBe('test.event');
        expect(entry?.data).toStrictEqual({ nested: { value: 1 }, list: [1] });
        expect((await store.verify()).ok).toBe(true);
      });
    });

    describe('head', () => {
      it('is size 0 with the SHA-256 of "" as root when empty', async () => {
        const head = await store.head();
        expect(head.size).toBe(0);
        expect(toHex(head.root)).toBe(EMPTY_ROOT_HEX);
        expect(EMPTY_ROOT_HEX).toBe(createHash('sha256').update('').digest('hex'));
      });

      it('after each append has the RFC 9162 root of every leaf so far', async () => {
        const entries: AuditEntry[] = [];
        for (let i = 0; i < 13; i += 1) {
          const extra: Partial<AuditEntryInput> = i % 3 === 0 ? { verificationId: `ver-${i}`, providerAt: '2026-01-01T09:00:00.000Z' } : {};
          entries.push(await store.append(simple(i, extra), T0 + i * 10));
          const head = await store.head();
          expect(head.size).toBe(i + 1);
          expect(toHex(head.root)).toBe(expectedRootHex(entries));
        }
        expect(toHex((await store.head()).root)).toBe(expectedRootHex(await store.readEntries()));
      });
    });

    describe('readEntries', () => {
      beforeEach(async () => {
        // Indexes 0..11; verification ids cycle a, b, none.
        for (let i = 0; i < 12; i += 1) {
          const verificationId = ['ver-a', 'ver-b', undefined][i % 3];
          await store.append(simple(i, verificationId === undefined ? {} : { verificationId }), T0 + i);
        }
      });

      const indexes = (entries: AuditEntry[]) => entries.map((e) => e.index);

      it('returns every entry in index order by default', async () => {
        const all = await store.readEntries();
        expect(indexes(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        expect(all.map((e) => e.data.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      });

      it('filters by verificationId', async () => {
        expect(indexes(await store.readEntries({ verificationId: 'ver-a' }))).toEqual([0, 3, 6, 9]);
        expect(indexes(await store.readEntries({ verificationId: 'ver-b' }))).toEqual([1, 4, 7, 10]);
        expect(await store.readEntries({ verificationId: 'ver-unknown' })).toEqual([]);
      });

      it('starts at fromIndex', async () => {
        expect(indexes(await store.readEntries({ fromIndex: 7 }))).toEqual([7, 8, 9, 10, 11]);
        expect(indexes(await store.readEntries({ fromIndex: 0 }))).toHaveLength(12);
        expect(await store.readEntries({ fromIndex: 12 })).toEqual([]);
      });

      it('returns at most limit entries', async () => {
        expect(indexes(await store.readEntries({ limit: 3 }))).toEqual([0, 1, 2]);
        expect(indexes(await store.readEntries({ limit: 100 }))).toHaveLength(12);
        expect(await store.readEntries({ limit: 0 })).toEqual([]);
        await expectBridgeError(store.readEntries({ limit: -1 }), 'INVALID_INPUT');
        await expectBridgeError(store.readEntries({ fromIndex: 1.5 }), 'INVALID_INPUT');
      });

      it('combines verificationId, fromIndex and limit', async () => {
        expect(indexes(await store.readEntries({ verificationId: 'ver-a', fromIndex: 4, limit: 2 }))).toEqual([6, 9]);
        expect(indexes(await store.readEntries({ verificationId: 'ver-b', fromIndex: 1, limit: 1 }))).toEqual([1]);
        expect(indexes(await store.readEntries({ verificationId: 'ver-b', fromIndex: 5 }))).toEqual([7, 10]);
      });

      it('reads newest first when asked, the limit counting from the newest', async () => {
        expect(indexes(await store.readEntries({ newestFirst: true }))).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        expect(indexes(await store.readEntries({ verificationId: 'ver-a', newestFirst: true, limit: 1 }))).toEqual([9]);
        expect(indexes(await store.readEntries({ verificationId: 'ver-b', fromIndex: 5, newestFirst: true }))).toEqual([10, 7]);
        expect(indexes(await store.readEntries({ newestFirst: false, limit: 2 }))).toEqual([0, 1]);
        await expectBridgeError(store.readEntries({ newestFirst: 'yes' as unknown as boolean }), 'INVALID_INPUT');
      });
    });

    describe('readEntries by type', () => {
      it('returns only entries of that type, combined with the other filters', async () => {
        for (let i = 0; i < 9; i += 1) {
          await store.append(simple(i, { type: i % 3 === 0 ? 'checkpoint.signed' : 'test.event', ...(i % 2 ? { verificationId: 'ver-a' } : {}) }), T0 + i);
        }
        const indexes = async (query: Parameters<BridgeStore['readEntries']>[0]) => (await store.readEntries(query)).map((e) => e.index);
        expect(await indexes({ type: 'checkpoint.signed' })).toEqual([0, 3, 6]);
        expect(await indexes({ type: 'checkpoint.signed', fromIndex: 1 })).toEqual([3, 6]);
        expect(await indexes({ type: 'checkpoint.signed', verificationId: 'ver-a' })).toEqual([3]);
        expect(await indexes({ type: 'test.event', limit: 2 })).toEqual([1, 2]);
        expect(await indexes({ type: 'checkpoint.signed', newestFirst: true, limit: 1 })).toEqual([6]);
        expect(await indexes({ type: 'no.such-type' })).toEqual([]);
        await expectBridgeError(store.readEntries({ type: '' }), 'INVALID_INPUT');
      });
    });

    describe('readLeafHashes', () => {
      it('returns the leaf hash of each entry in a range, in index order', async () => {
        const entries: AuditEntry[] = [];
        for (let i = 0; i < 7; i += 1) entries.push(await store.append(simple(i), T0 + i));
        const expected = entries.map((entry) => toHex(leafHash(leafBytes(entry))));
        expect((await store.readLeafHashes(0, 7)).map(toHex)).toEqual(expected);
        expect((await store.readLeafHashes(2, 5)).map(toHex)).toEqual(expected.slice(2, 5));
        expect(await store.readLeafHashes(4, 4)).toEqual([]);
        expect(await store.readLeafHashes(0, 0)).toEqual([]);
      });

      it.each([
        ['past the end', 0, 8],
        ['reversed', 5, 2],
        ['negative', -1, 2],
        ['fractional', 0, 2.5],
      ])('rejects a range %s with INVALID_INPUT', async (_name, from, to) => {
        for (let i = 0; i < 7; i += 1) await store.append(simple(i), T0 + i);
        await expectBridgeError(store.readLeafHashes(from, to), 'INVALID_INPUT');
      });
    });

    describe('proofs and checkpoints', () => {
      it('proves every entry against a signed checkpoint, and the log consistent across appends', async () => {
        const signer = createCheckpointSigner({ key: parseSigningKey(TEST_SIGNING_KEY) });
        const write = (input: AuditEntryInput) => store.append(input, T0);
        for (let i = 0; i < 11; i += 1) await store.append(simple(i, { verificationId: `ver-${i % 2}` }), T0 + i);
        const first = await signer.sign(store, write);
        expect(first).toMatchObject({ origin: 'police.example/vcb-test', size: 11, entryIndex: 11 });
        expect(toHex(first.root)).toBe(expectedRootHex((await store.readEntries()).slice(0, 11)));
        const opened = openCheckpoint(first.note, parseVerifierKey(first.verifierKey));
        expect(opened.ok && { ...opened.checkpoint, root: toHex(opened.checkpoint.root) }).toEqual({ origin: first.origin, size: 11, root: toHex(first.root) });
        expect(await latestCheckpoint(store)).toMatchObject({ note: first.note, entryIndex: 11, at: first.at });

        const prover = await storeProver(store, first.size);
        for (const entry of (await store.readEntries()).slice(0, first.size)) {
          const claim = { leafIndex: entry.index, treeSize: first.size, leafHash: leafHash(leafBytes(entry)), proof: await prover.inclusionProof(entry.index, first.size), rootHash: first.root };
          expect(verifyInclusionProof(claim), `entry ${entry.index}`).toBe(true);
        }

        for (let i = 11; i < 20; i += 1) await store.append(simple(i), T0 + i);
        const second = await signer.sign(store, write);
        expect(second.size).toBe(21);
        expect(await latestCheckpoint(store)).toMatchObject({ note: second.note, size: 21, entryIndex: 21 });
        const later = await storeProver(store, second.size);
        const consistency = { size1: first.size, size2: second.size, root1: first.root, root2: second.root, proof: await later.consistencyProof(first.size) };
        expect(verifyConsistencyProof(consistency)).toBe(true);
        expect(await store.verify()).toMatchObject({ ok: true, entries: 22 });
      });

      describe('subtree hashes kept with the log', () => {
        // 1,100 entries: four subtrees of 256, two of 512, one of 1,024, and a partial block after them.
        const SIZE = 1100;
        let leaves: Uint8Array[];

        beforeEach(async () => {
          for (let i = 0; i < SIZE; i += 1) await store.append(simple(i), T0 + i);
          leaves = (await store.readEntries()).map((entry) => leafHash(leafBytes(entry)));
        });

        it('keeps every perfect subtree of 256 leaves or more, with the hash its entries give, and nothing else', async () => {
          const complete = [0, 1, 2, 3].map((index) => ({ level: 8, index })).concat([{ level: 9, index: 0 }, { level: 9, index: 1 }, { level: 10, index: 0 }]);
          const kept = await store.readSubtreeHashes(complete);
          complete.forEach(({ level, index }, i) => {
            expect(toHex(kept[i]!), `level ${level} at ${index}`).toBe(toHex(merkleTreeHash(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level))));
          });
          const notKept = [{ level: 8, index: 4 }, { level: 10, index: 1 }, { level: 11, index: 0 }, { level: 7, index: 0 }, { level: 0, index: 3 }];
          expect(await store.readSubtreeHashes(notKept)).toEqual(notKept.map(() => undefined));
          expect(await store.readSubtreeHashes([])).toEqual([]);
        });

        it('gives the proofs a prover over every leaf gives, reading a few hundred leaf hashes rather than all of them', async () => {
          let leavesRead = 0;
          const counted = new Proxy(store, {
            get(target, property) {
              if (property === 'readLeafHashes') {
                return async (from: number, to: number) => {
                  leavesRead += to - from;
                  return target.readLeafHashes(from, to);
                };
              }
              const value = Reflect.get(target, property);
              return typeof value === 'function' ? value.bind(target) : value;
            },
          });
          const prover = await storeProver(counted, SIZE);
          const reference = createMerkleProver(leaves);
          expect(toHex(await prover.root())).toBe(toHex(await reference.root()));
          expect((await prover.consistencyProof(700)).map(toHex)).toEqual((await reference.consistencyProof(700)).map(toHex));
          expect((await prover.inclusionProof(5)).map(toHex)).toEqual((await reference.inclusionProof(5)).map(toHex));
          // At most one block of 256 leaves for each of the three, where reading every leaf is 1,100.
          expect(leavesRead, 'leaf hashes read for a root and two proofs').toBeLessThanOrEqual(3 * 256);
          for (const [m, n] of [[1023, 1024], [1024, 1100], [300, 1025], [0, 256]] as const) {
            expect((await prover.inclusionProof(m, n)).map(toHex), `PATH(${m}, D[${n}])`).toEqual((await reference.inclusionProof(m, n)).map(toHex));
            expect((await prover.consistencyProof(m + 1, n)).map(toHex), `PROOF(${m + 1}, D[${n}])`).toEqual((await reference.consistencyProof(m + 1, n)).map(toHex));
          }
        });
      });
    });

    describe('personal data kept apart from the log', () => {
      const hashOf = (n: number) => `hmac-sha256:${createHash('sha256').update(String(n)).digest('hex')}`;
      const record = (n: number, retainUntilMs: number) => ({ hash: hashOf(n), kind: 'phone', value: `+4479111234${String(n).padStart(2, '0')}`, retainUntilMs });

      it('holds a value by its keyed hash until its retention ends, then erases it and says what went', async () => {
        await store.append(simple(0, { data: { citizenPhoneNumberHash: hashOf(1) } }), T0);
        await store.putPersonalData(record(1, T0 + 1000));
        await store.putPersonalData(record(2, T0 + 5000));
        expect(await store.getPersonalData(hashOf(1))).toEqual(record(1, T0 + 1000));
        expect(await store.erasePersonalData(T0 + 999)).toEqual([]);
        expect(await store.erasePersonalData(T0 + 1000)).toEqual([{ hash: hashOf(1), kind: 'phone' }]);
        expect(await store.getPersonalData(hashOf(1))).toBeNull();
        expect(await store.getPersonalData(hashOf(2))).toEqual(record(2, T0 + 5000));
        expect((await store.verify()).ok).toBe(true);
        expect((await store.readEntries())[0]!.data.citizenPhoneNumberHash).toBe(hashOf(1));
      });

      it('keeps the later retention when the same value is held again', async () => {
        await store.putPersonalData(record(3, T0 + 5000));
        await store.putPersonalData(record(3, T0 + 1000));
        expect((await store.getPersonalData(hashOf(3)))?.retainUntilMs).toBe(T0 + 5000);
        await store.putPersonalData(record(3, T0 + 9000));
        expect((await store.getPersonalData(hashOf(3)))?.retainUntilMs).toBe(T0 + 9000);
      });

      it('refuses malformed records', async () => {
        for (const bad of [{ ...record(4, T0), hash: 'sha256:abc' }, { ...record(4, T0), kind: 'Phone Number' }, { ...record(4, T0), value: '' }, { ...record(4, T0), retainUntilMs: 1.5 }]) {
          await expectBridgeError(store.putPersonalData(bad), 'INVALID_INPUT');
        }
      });
    });

    describe('duplicate provider events', () => {
      const event = (provider: string | undefined, providerEventId: string | undefined, n: number): AuditEntryInput => ({
        type: 'participant.joined',
        source: 'provider',
        ...(provider === undefined ? {} : { provider }),
        ...(providerEventId === undefined ? {} : { providerEventId }),
        data: { n },
      });

      it('rejects a second entry with the same provider and providerEventId, leaving the log as it was', async () => {
        await store.append(event('daily', 'evt-1', 0), T0);
        await store.append(event('daily', 'evt-2', 1), T0 + 1);
        const before = await store.head();
        await expectBridgeError(store.append({ ...event('daily', 'evt-1', 99), type: 'other.type' }, T0 + 2), 'DUPLICATE_EVENT');
        const after = await store.head();
        expect(after.size).toBe(2);
        expect(toHex(after.root)).toBe(toHex(before.root));
        const next = await store.append(event('daily', 'evt-3', 2), T0 + 3);
        expect(next.index).toBe(2);
        const entries = await store.readEntries();
        expect(entries.map((e) => e.data.n)).toEqual([0, 1, 2]);
        expect(toHex((await store.head()).root)).toBe(expectedRootHex(entries));
        expect((await store.verify()).ok).toBe(true);
      });

      it('allows the same providerEventId for a different provider', async () => {
        await store.append(event('daily', 'evt-1', 0), T0);
        const other = await store.append(event('twilio', 'evt-1', 1), T0 + 1);
        expect(other.index).toBe(1);
        expect((await store.readEntries()).map((e) => e.provider)).toEqual(['daily', 'twilio']);
      });

      it('never treats entries without providerEventId as duplicates', async () => {
        const a = await store.append(event('daily', undefined, 0), T0);
        const b = await store.append(event('daily', undefined, 0), T0);
        const c = await store.append(event(undefined, undefined, 0), T0);
        const d = await store.append(event(undefined, undefined, 0), T0);
        expect([a.index, b.index, c.index, d.index]).toEqual([0, 1, 2, 3]);
      });

      it('refuses a providerEventId without the provider it belongs to', async () => {
        // A provider's event id means nothing without the provider; refusing it keeps every store's uniqueness alike.
        await expectBridgeError(store.append(event(undefined, 'evt-1', 0), T0), 'INVALID_INPUT');
        expect((await store.head()).size).toBe(0);
      });

      it('reports invalid input before a duplicate when an entry is both', async () => {
        await store.append(event('daily', 'evt-1', 0), T0);
        await expectBridgeError(store.append({ ...event('daily', 'evt-1', 1), type: 'Bad Type' }, T0 + 1), 'INVALID_INPUT');
      });
    });

    describe('invalid input', () => {
      const invalid: [string, unknown][] = [
        ['a type with upper case and spaces', { type: 'Bad Type', source: 'sdk', data: {} }],
        ['a type without a dot', { type: 'nodots', source: 'sdk', data: {} }],
        ['data holding NaN', { type: 'test.event', source: 'sdk', data: { x: Number.NaN } }],
        ['data holding Infinity deep inside', { type: 'test.event', source: 'sdk', data: { a: [{ b: Number.POSITIVE_INFINITY }] } }],
        ['data holding a lone surrogate', { type: 'test.event', source: 'sdk', data: { s: '\uD800' } }],
        ['data that is an array', { type: 'test.event', source: 'sdk', data: [1, 2] }],
        ['an unknown source', { type: 'test.event', source: 'robot', data: {} }],
        ['an empty verificationId', { type: 'test.event', source: 'sdk', verificationId: '', data: {} }],
        ['a providerAt not in the log form', { type: 'test.event', source: 'sdk', providerAt: '2026-01-01 10:00', data: {} }],
      ];

      it.each(invalid)('rejects %s with INVALID_INPUT and appends nothing', async (_label, input) => {
        await store.append(simple(0), T0);
        await store.append(simple(1), T0 + 1);
        const before = await store.head();
        await expectBridgeError(store.append(input as AuditEntryInput, T0 + 2), 'INVALID_INPUT');
        const after = await store.head();
        expect(after.size).toBe(2);
        expect(toHex(after.root)).toBe(toHex(before.root));
        expect(await store.readEntries()).toHaveLength(2);
        const next = await store.append(simple(2), T0 + 3);
        expect(next.index).toBe(2);
        expect(toHex((await store.head()).root)).toBe(expectedRootHex(await store.readEntries()));
        expect(await store.verify()).toMatchObject({ ok: true, entries: 3 });
      });
    });

    describe('verify', () => {
      it('reports an intact log of 50 entries as ok with the head root', async () => {
        const entries: AuditEntry[] = [];
        for (let i = 0; i < 50; i += 1) {
          const extra: Partial<AuditEntryInput> =
            i % 5 === 0
              ? { verificationId: `ver-${i % 3}`, provider: 'daily', providerEventId: `evt-${i}`, providerAt: '2026-01-01T09:59:00.000Z' }
              : { actor: `actor-${i}`, data: { n: i, nested: { list: [i, { i }] } } };
          entries.push(await store.append(simple(i, extra), T0 + i * 7));
        }
        const head = await store.head();
        expect(await store.verify()).toEqual({ ok: true, entries: 50, root: toHex(head.root) });
        expect(toHex(head.root)).toBe(expectedRootHex(entries));
      });

      it('reports an empty log as ok with 0 entries', async () => {
        expect(await store.verify()).toEqual({ ok: true, entries: 0, root: EMPTY_ROOT_HEX });
      });
    });

    describe('device leases', () => {
      const NOW = 1_000_000;
      const TTL = 30_000;
      const request = (holder: string, nowMs: number, deviceId = 'ops-1', ttlMs = TTL): LeaseRequest => ({
        deviceId,
        holder,
        ttlMs,
        nowMs,
      });

      it('gives a free device to the first holder with epoch 1 and expiry nowMs + ttlMs', async () => {
        const lease = await store.acquireLease(request('ver-a', NOW));
        expect(lease).toEqual({ deviceId: 'ops-1', holder: 'ver-a', epoch: 1, expiresAtMs: NOW + TTL });
        expect(await store.currentLease('ops-1', NOW)).toEqual(lease);
      });

      it('refuses a second holder while the lease is unexpired', async () => {
        const held = await store.acquireLease(request('ver-a', NOW));
        expect(await store.acquireLease(request('ver-b', NOW))).toBeNull();
        expect(await store.acquireLease(request('ver-b', NOW + TTL - 1))).toBeNull();
        expect(await store.currentLease('ops-1', NOW + TTL - 1)).toEqual(held);
      });

      it('lets the holder renew: same epoch, later expiry', async () => {
        await store.acquireLease(request('ver-a', NOW));
        const renewed = await store.acquireLease(request('ver-a', NOW + 10_000, 'ops-1', 60_000));
        expect(renewed).toEqual({ deviceId: 'ops-1', holder: 'ver-a', epoch: 1, expiresAtMs: NOW + 70_000 });
        expect(await store.currentLease('ops-1', NOW + TTL + 1)).toEqual(renewed);
        expect(await store.acquireLease(request('ver-b', NOW + TTL + 1))).toBeNull();
      });

      it('hands an expired lease to another holder with the next epoch', async () => {
        await store.acquireLease(request('ver-a', NOW));
        const taken = await store.acquireLease(request('ver-b', NOW + TTL));
        expect(taken).toEqual({ deviceId: 'ops-1', holder: 'ver-b', epoch: 2, expiresAtMs: NOW + 2 * TTL });
        expect(await store.currentLease('ops-1', NOW + TTL)).toEqual(taken);
        expect(await store.acquireLease(request('ver-a', NOW + TTL + 1))).toBeNull();
      });

      it('gives the same holder a new epoch when it re-acquires after expiry', async () => {
        await store.acquireLease(request('ver-a', NOW));
        const again = await store.acquireLease(request('ver-a', NOW + TTL + 5));
        expect(again).toEqual({ deviceId: 'ops-1', holder: 'ver-a', epoch: 2, expiresAtMs: NOW + 2 * TTL + 5 });
      });

      it('ignores a release by someone who does not hold the device', async () => {
        const held = await store.acquireLease(request('ver-a', NOW));
        expect(await store.releaseLease('ops-1', 'ver-b')).toBe(false);
        expect(await store.releaseLease('ops-2', 'ver-a')).toBe(false);
        expect(await store.currentLease('ops-1', NOW)).toEqual(held);
        expect(await store.acquireLease(request('ver-b', NOW + 1))).toBeNull();
      });

      it('frees the device on release by the holder', async () => {
        await store.acquireLease(request('ver-a', NOW));
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        expect(await store.currentLease('ops-1', NOW)).toBeNull();
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(false);
        const next = await store.acquireLease(request('ver-b', NOW + 1));
        expect(next).toEqual({ deviceId: 'ops-1', holder: 'ver-b', epoch: 2, expiresAtMs: NOW + 1 + TTL });
      });

      it('never lets the epoch go down across acquire, renew, release and expiry', async () => {
        const epochs: (number | null)[] = [];
        const take = async (holder: string, nowMs: number) => {
          const lease = await store.acquireLease(request(holder, nowMs));
          epochs.push(lease?.epoch ?? null);
        };
        await take('ver-a', NOW); // 1: free
        await take('ver-a', NOW + 1_000); // 1: renew
        await take('ver-b', NOW + 2_000); // null: busy
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        await take('ver-b', NOW + 2_000); // 2: after release
        await take('ver-a', NOW + 2_000 + TTL); // 3: after expiry
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        await take('ver-a', NOW + 2_000 + TTL); // 4: same holder after its own release
        await take('ver-a', NOW + 3_000 + 2 * TTL); // 5: same holder after expiry
        await take('ver-a', NOW + 3_001 + 2 * TTL); // 5: renew
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        await take('ver-c', NOW); // 6: a clock reading from the past still cannot lower the epoch
        expect(epochs).toEqual([1, 1, null, 2, 3, 4, 5, 5, 6]);
      });

      it('keeps devices independent', async () => {
        const one = await store.acquireLease(request('ver-a', NOW, 'ops-1'));
        const two = await store.acquireLease(request('ver-b', NOW, 'ops-2'));
        expect(one?.epoch).toBe(1);
        expect(two).toEqual({ deviceId: 'ops-2', holder: 'ver-b', epoch: 1, expiresAtMs: NOW + TTL });
        expect((await store.currentLease('ops-1', NOW))?.holder).toBe('ver-a');
        expect(await store.releaseLease('ops-2', 'ver-a')).toBe(false);
      });

      it('has currentLease respect expiry', async () => {
        expect(await store.currentLease('ops-1', NOW)).toBeNull();
        const held = await store.acquireLease(request('ver-a', NOW));
        expect(await store.currentLease('ops-1', NOW + TTL - 1)).toEqual(held);
        expect(await store.currentLease('ops-1', NOW + TTL)).toBeNull();
        expect(await store.currentLease('ops-1', NOW + 10 * TTL)).toBeNull();
        // Asking does not change the lease: the next holder still gets epoch 2.
        expect((await store.acquireLease(request('ver-b', NOW + TTL)))?.epoch).toBe(2);
      });

      const invalidRequests: [string, LeaseRequest][] = [
        ['ttlMs 0', { deviceId: 'ops-1', holder: 'ver-a', ttlMs: 0, nowMs: NOW }],
        ['a negative ttlMs', { deviceId: 'ops-1', holder: 'ver-a', ttlMs: -5, nowMs: NOW }],
        ['ttlMs NaN', { deviceId: 'ops-1', holder: 'ver-a', ttlMs: Number.NaN, nowMs: NOW }],
        ['an empty deviceId', { deviceId: '', holder: 'ver-a', ttlMs: TTL, nowMs: NOW }],
        ['an empty holder', { deviceId: 'ops-1', holder: '', ttlMs: TTL, nowMs: NOW }],
        ['nowMs Infinity', { deviceId: 'ops-1', holder: 'ver-a', ttlMs: TTL, nowMs: Number.POSITIVE_INFINITY }],
      ];

      it.each(invalidRequests)('rejects a lease request with %s as INVALID_INPUT and records nothing', async (_label, bad) => {
        await expectBridgeError(store.acquireLease(bad), 'INVALID_INPUT');
        expect(await store.currentLease('ops-1', NOW)).toBeNull();
        expect(await store.acquireLease(request('ver-z', NOW))).toEqual({
          deviceId: 'ops-1',
          holder: 'ver-z',
          epoch: 1,
          expiresAtMs: NOW + TTL,
        });
      });
    });

    describe('lease fencing', () => {
      const NOW = 1_000_000;
      const TTL = 30_000;
      const take = (holder: string, nowMs: number) => store.acquireLease({ deviceId: 'ops-1', holder, ttlMs: TTL, nowMs });
      const fenced = (n: number, epoch: number, deviceId = 'ops-1') => store.append(simple(n), T0 + n, { fence: { deviceId, epoch } });

      // Takes a thunk: a promise made before `head()` is awaited could reject with nobody listening yet.
      async function expectRefused(write: () => Promise<unknown>, code: ErrorCode): Promise<BridgeError> {
        const before = await store.head();
        const error = await expectBridgeError(write(), code);
        const after = await store.head();
        expect(after.size, 'a refused write must leave the log as it was').toBe(before.size);
        expect(toHex(after.root)).toBe(toHex(before.root));
        return error;
      }

      it('accepts a write fenced with the current epoch and logs exactly the entry, not the fence', async () => {
        const lease = await take('ver-a', NOW);
        const entry = await store.append(simple(0, { verificationId: 'ver-a' }), T0, { fence: { deviceId: 'ops-1', epoch: lease!.epoch } });
        expect(entry).toStrictEqual({ index: 0, at: '2026-01-01T10:00:00.000Z', verificationId: 'ver-a', type: 'test.event', source: 'sdk', data: { n: 0 } });
        expect(await store.readEntries()).toStrictEqual([entry]);
        expect(await store.verify()).toMatchObject({ ok: true, entries: 1 });
      });

      it('refuses a write from a holder whose lease was taken over, and accepts the successor’s', async () => {
        await take('ver-a', NOW);
        await fenced(0, 1);
        const successor = await take('ver-b', NOW + TTL);
        expect(successor?.epoch).toBe(2);
        const error = await expectRefused(() => fenced(1, 1), 'LEASE_LOST');
        expect(error.details).toEqual({ deviceId: 'ops-1', epoch: 1, latestEpoch: 2 });
        expect((await fenced(2, 2)).index).toBe(1);
        expect((await store.readEntries()).map((e) => e.data.n)).toEqual([0, 2]);
      });

      it('refuses the old epoch once the same holder has re-acquired after expiry', async () => {
        await take('ver-a', NOW);
        expect((await take('ver-a', NOW + TTL))?.epoch).toBe(2);
        await expectRefused(() => fenced(0, 1), 'LEASE_LOST');
        expect((await fenced(1, 2)).index).toBe(0);
      });

      it('still accepts the last holder after its lease lapsed or was released, while nobody has taken the device since', async () => {
        await take('ver-a', NOW);
        expect(await store.currentLease('ops-1', NOW + TTL)).toBeNull();
        expect((await fenced(0, 1)).index).toBe(0);
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        expect((await fenced(1, 1)).index).toBe(1);
        await take('ver-b', NOW + TTL);
        await expectRefused(() => fenced(2, 1), 'LEASE_LOST');
      });

      it('refuses an epoch the device was never leased with, and a device never leased', async () => {
        await take('ver-a', NOW);
        const ahead = await expectRefused(() => fenced(0, 2), 'LEASE_LOST');
        expect(ahead.details).toEqual({ deviceId: 'ops-1', epoch: 2, latestEpoch: 1 });
        const unknown = await expectRefused(() => fenced(1, 1, 'ops-never'), 'LEASE_LOST');
        expect(unknown.details).toEqual({ deviceId: 'ops-never', epoch: 1 });
        expect(await store.currentLease('ops-never', NOW)).toBeNull();
      });

      it.each([
        ['epoch 0', { deviceId: 'ops-1', epoch: 0 }],
        ['a fractional epoch', { deviceId: 'ops-1', epoch: 1.5 }],
        ['an empty deviceId', { deviceId: '', epoch: 1 }],
        ['no epoch', { deviceId: 'ops-1' }],
      ])('rejects a fence with %s as INVALID_INPUT', async (_label, fence) => {
        await take('ver-a', NOW);
        await expectRefused(() => store.append(simple(0), T0, { fence: fence as LeaseFence }), 'INVALID_INPUT');
      });

      it('reports invalid input first, then a lost lease, then a duplicate event', async () => {
        await take('ver-a', NOW);
        await store.append({ ...simple(0), provider: 'daily', providerEventId: 'evt-1' }, T0, { fence: { deviceId: 'ops-1', epoch: 1 } });
        await take('ver-b', NOW + TTL);
        const stale = { fence: { deviceId: 'ops-1', epoch: 1 } };
        await expectRefused(() => store.append({ ...simple(1), type: 'Bad Type' }, T0, stale), 'INVALID_INPUT');
        await expectRefused(() => store.append({ ...simple(1), provider: 'daily', providerEventId: 'evt-1' }, T0, stale), 'LEASE_LOST');
        await expectRefused(() => store.append({ ...simple(1), provider: 'daily', providerEventId: 'evt-1' }, T0, { fence: { deviceId: 'ops-1', epoch: 2 } }), 'DUPLICATE_EVENT');
      });

      it('orders every write of a taken-over lease before the successor’s first write, under concurrency', async () => {
        await take('ver-a', NOW);
        const writeAs = (epoch: number, n: number) =>
          store.append({ type: 'test.event', source: 'sdk', data: { epoch, n } }, T0, { fence: { deviceId: 'ops-1', epoch } }).then(
            () => 'ok' as const,
            (error: unknown) => {
              if (BridgeError.hasCode(error, 'LEASE_LOST')) return 'lost' as const;
              throw error;
            },
          );
        const racing = Array.from({ length: 30 }, (_, n) => writeAs(1, n));
        const successor = await take('ver-b', NOW + TTL);
        expect(successor?.epoch).toBe(2);
        const afterTakeover = Array.from({ length: 10 }, (_, n) => writeAs(1, 100 + n));
        const successorWrites = Array.from({ length: 10 }, (_, n) => writeAs(2, 200 + n));
        expect(await Promise.all(afterTakeover)).toEqual(Array(10).fill('lost'));
        expect(await Promise.all(successorWrites)).toEqual(Array(10).fill('ok'));
        const raced = await Promise.all(racing);
        const entries = await store.readEntries();
        const epochs = entries.map((e) => e.data.epoch);
        expect(epochs.filter((e) => e === 1)).toHaveLength(raced.filter((r) => r === 'ok').length);
        expect(epochs.filter((e) => e === 2)).toHaveLength(10);
        expect(epochs.lastIndexOf(1)).toBeLessThan(epochs.indexOf(2));
        expect((await store.verify()).ok).toBe(true);
      });
    });

    describe('call rows', () => {
      const NOW = 1_000_000;
      const TTL = 30_000;
      const REFERENCE_TTL = 600_000;
      const fields = (reference: string, extra: Partial<CallFields> = {}): CallFields => ({
        reference,
        referenceExpiresAtMs: T0 + REFERENCE_TTL,
        state: 'requested',
        expiresAtMs: T0 + 3_600_000,
        owner: 'server-a',
        ...extra,
      });
      const entryOf = (verificationId: string, n: number): AuditEntryInput => ({ verificationId, type: 'call.changed', source: 'sdk', data: { n } });
      const openCall = (verificationId: string, reference: string, atMs = T0, extra: Partial<CallFields> = {}, options: AppendOptions = {}) =>
        store.append(entryOf(verificationId, 0), atMs, { ...options, call: { expectedVersion: null, set: fields(reference, extra) } });
      const changeCall = (verificationId: string, expectedVersion: number, set: Partial<CallFields>, atMs = T0, options: AppendOptions = {}) =>
        store.append(entryOf(verificationId, expectedVersion + 1), atMs, { ...options, call: { expectedVersion, set } });
      const take = (holder: string, nowMs: number, deviceId = 'ops-1') => store.acquireLease({ deviceId, holder, ttlMs: TTL, nowMs });

      // Takes a thunk: a promise made before `head()` is awaited could reject with nobody listening yet.
      async function expectNothingWritten(write: () => Promise<unknown>, code: ErrorCode): Promise<BridgeError> {
        const before = await store.head();
        const calls = await Promise.all(['ver-a', 'ver-b', 'ver-c'].map((verificationId) => store.findCall({ verificationId })));
        const error = await expectBridgeError(write(), code);
        const after = await store.head();
        expect(after.size, 'a refused write must leave the log as it was').toBe(before.size);
        expect(toHex(after.root)).toBe(toHex(before.root));
        const callsAfter = await Promise.all(['ver-a', 'ver-b', 'ver-c'].map((verificationId) => store.findCall({ verificationId })));
        expect(callsAfter, 'a refused write must leave the call rows as they were').toEqual(calls);
        return error;
      }

      it('refuses a second call with the same provider call id as STORE_FAILED, not as a repeated event, and writes nothing', async () => {
        await openCall('ver-a', 'REF-1', T0, { provider: 'daily', providerCallId: 'room-1' });
        await expectNothingWritten(() => openCall('ver-b', 'REF-2', T0, { provider: 'daily', providerCallId: 'room-1' }), 'STORE_FAILED');
        const other = await openCall('ver-c', 'REF-3');
        await expectNothingWritten(() => changeCall('ver-c', other.index, { provider: 'daily', providerCallId: 'room-1' }), 'STORE_FAILED');
        await openCall('ver-b', 'REF-2', T0, { provider: 'zoom', providerCallId: 'room-1' });
      });

      it('frees the device in the same step as the entry that ends its call, and only the lease that call holds', async () => {
        const lease = await take('ver-a', NOW);
        const opened = await openCall('ver-a', 'REF-1', T0, { state: 'routed', deviceId: 'ops-1', epoch: lease!.epoch });
        await take('job', NOW, 'ops-2');
        const ended = await changeCall('ver-a', opened.index, { state: 'ended' }, T0, { fence: { deviceId: 'ops-1', epoch: lease!.epoch } });
        expect(await store.currentLease('ops-1', NOW)).toBeNull();
        expect((await take('ver-b', NOW))?.epoch).toBe(lease!.epoch + 1);
        // A later entry of the ended call (a late event) does not touch the device's new holder.
        await changeCall('ver-a', ended.index, {});
        expect((await store.currentLease('ops-1', NOW))?.holder).toBe('ver-b');
        expect((await store.currentLease('ops-2', NOW))?.holder).toBe('job');
      });

      it('opens a call with its first entry and finds it by verification id, provider call id and reference', async () => {
        await store.append(simple(0), T0 + 5_000);
        // at is held back to the last entry's: the row's updatedAtMs is the entry's at, not the caller's atMs.
        const opened = await openCall('ver-a', 'REF-1', T0, { provider: 'daily', providerCallId: 'room-1' });
        const expected: CallRecord = {
          verificationId: 'ver-a',
          ...fields('REF-1', { provider: 'daily', providerCallId: 'room-1' }),
          version: 1,
          updatedAtMs: T0 + 5_000,
        };
        expect(opened).toMatchObject({ index: 1, verificationId: 'ver-a', at: new Date(T0 + 5_000).toISOString() });
        expect(await store.findCall({ verificationId: 'ver-a' })).toStrictEqual(expected);
        expect(await store.findCall({ provider: 'daily', providerCallId: 'room-1' })).toStrictEqual(expected);
        expect(await store.findCall({ reference: 'REF-1' })).toStrictEqual(expected);
        expect(await store.listLiveCalls()).toStrictEqual([expected]);
        expect((await store.readEntries()).map((e) => e.index)).toEqual([0, 1]);
      });

      it('leaves fields never set out of the row, and finds nothing for unknown keys', async () => {
        await openCall('ver-a', 'REF-1');
        expect(await store.findCall({ verificationId: 'ver-a' })).toStrictEqual({ verificationId: 'ver-a', ...fields('REF-1'), version: 0, updatedAtMs: T0 });
        expect(await store.findCall({ verificationId: 'ver-x' })).toBeNull();
        expect(await store.findCall({ reference: 'REF-X' })).toBeNull();
        expect(await store.findCall({ provider: 'daily', providerCallId: 'room-x' })).toBeNull();
        await expectBridgeError(store.findCall({ reference: '' }), 'INVALID_INPUT');
        await expectBridgeError(store.findCall({ verificationId: 'ver-a', reference: 'REF-1' } as CallQuery), 'INVALID_INPUT');
      });

      it('refuses a call change on an entry without a verification, or an opening without a reference, as INVALID_INPUT', async () => {
        const before = (await store.head()).size;
        await expectBridgeError(store.append(simple(0), T0, { call: { expectedVersion: null, set: fields('REF-1') } }), 'INVALID_INPUT');
        const noReference = { expectedVersion: null, set: { ...fields('REF-1'), reference: undefined } } as unknown as CallChange;
        await expectBridgeError(store.append(entryOf('ver-a', 0), T0, { call: noReference }), 'INVALID_INPUT');
        await expectBridgeError(store.append(entryOf('ver-a', 0), T0, { call: { expectedVersion: 1.5, set: {} } }), 'INVALID_INPUT');
        expect((await store.head()).size).toBe(before);
        expect(await store.findCall({ verificationId: 'ver-a' })).toBeNull();
      });

      it('changes a call at the version it was read at, and refuses a stale version with CALL_CHANGED, writing nothing', async () => {
        const opened = await openCall('ver-a', 'REF-1');
        await store.append(entryOf('ver-b', 0), T0 + 1); // another verification's entry does not move ver-a's row
        const routed = await changeCall('ver-a', opened.index, { state: 'routed', provider: 'daily', deviceId: 'ops-1', epoch: 1 }, T0 + 2);
        const row = await store.findCall({ verificationId: 'ver-a' });
        expect(row).toStrictEqual({
          verificationId: 'ver-a',
          ...fields('REF-1', { state: 'routed', provider: 'daily', deviceId: 'ops-1', epoch: 1 }),
          version: routed.index,
          updatedAtMs: T0 + 2,
        });
        const stale = await expectNothingWritten(() => changeCall('ver-a', opened.index, { state: 'failed' }, T0 + 3), 'CALL_CHANGED');
        expect(stale.details).toEqual({ verificationId: 'ver-a' });
        await expectNothingWritten(() => changeCall('ver-a', routed.index + 1, { state: 'failed' }, T0 + 3), 'CALL_CHANGED');
        await expectNothingWritten(() => changeCall('ver-c', 0, { state: 'failed' }, T0 + 3), 'CALL_CHANGED');
        await expectNothingWritten(() => openCall('ver-a', 'REF-2', T0 + 3), 'CALL_CHANGED');
        const created = await changeCall('ver-a', routed.index, { state: 'created', providerCallId: 'room-1' }, T0 + 4);
        expect(await store.findCall({ provider: 'daily', providerCallId: 'room-1' })).toMatchObject({ verificationId: 'ver-a', state: 'created', version: created.index });
        expect((await store.verify()).ok).toBe(true);
      });

      it('leaves the columns of fields set to undefined as they are', async () => {
        const opened = await openCall('ver-a', 'REF-1', T0, { provider: 'daily', providerCallId: 'room-1', deviceId: 'ops-1', epoch: 3 });
        const undefinedEverywhere: Partial<CallFields> = {
          reference: undefined,
          referenceExpiresAtMs: undefined,
          expiresAtMs: undefined,
          owner: undefined,
          provider: undefined,
          providerCallId: undefined,
          deviceId: undefined,
          epoch: undefined,
        };
        const changed = await changeCall('ver-a', opened.index, { ...undefinedEverywhere, state: 'routed' }, T0 + 1);
        expect(await store.findCall({ verificationId: 'ver-a' })).toStrictEqual({
          verificationId: 'ver-a',
          ...fields('REF-1', { provider: 'daily', providerCallId: 'room-1', deviceId: 'ops-1', epoch: 3, state: 'routed' }),
          version: changed.index,
          updatedAtMs: T0 + 1,
        });
      });

      it('refuses a reference another call holds unexpired with REFERENCE_TAKEN, allows it once expired, and finds the newest', async () => {
        await openCall('ver-a', 'REF-1', T0);
        const taken = await expectNothingWritten(() => openCall('ver-b', 'REF-1', T0 + REFERENCE_TTL - 1), 'REFERENCE_TAKEN');
        expect(taken.message).toContain('REF-1');
        await openCall('ver-c', 'REF-2', T0 + REFERENCE_TTL - 1); // other references are free meanwhile
        // Expired at exactly its expiry: the second call gets the reference, and holds it until its own expiry.
        const second = await openCall('ver-b', 'REF-1', T0 + REFERENCE_TTL, { referenceExpiresAtMs: T0 + 2 * REFERENCE_TTL });
        expect(await store.findCall({ reference: 'REF-1' })).toMatchObject({ verificationId: 'ver-b', version: second.index });
        expect(await store.findCall({ verificationId: 'ver-a' })).toMatchObject({ reference: 'REF-1', version: 0 });
        await expectNothingWritten(() => openCall('ver-d', 'REF-1', T0 + 2 * REFERENCE_TTL - 1), 'REFERENCE_TAKEN');
        await openCall('ver-d', 'REF-1', T0 + 2 * REFERENCE_TTL);
        expect(await store.findCall({ reference: 'REF-1' })).toMatchObject({ verificationId: 'ver-d' });
      });

      it('writes neither entry nor row when the fence of a call change is lost, or its entry repeats a provider event', async () => {
        const lease = await take('ver-a', NOW);
        const fence = { deviceId: 'ops-1', epoch: lease!.epoch };
        const opened = await openCall('ver-a', 'REF-1', T0, {}, { fence });
        const routed = await changeCall('ver-a', opened.index, { state: 'routed', deviceId: 'ops-1', epoch: fence.epoch }, T0 + 1, { fence });
        await store.append({ ...entryOf('ver-a', 9), provider: 'daily', providerEventId: 'evt-1' }, T0 + 2);
        const repeated = { ...entryOf('ver-a', 10), provider: 'daily', providerEventId: 'evt-1' };
        await expectNothingWritten(() => store.append(repeated, T0 + 3, { fence, call: { expectedVersion: routed.index, set: { state: 'failed' } } }), 'DUPLICATE_EVENT');
        // The device is taken over (the guard lets its own verification do that): the old epoch's write is refused.
        expect((await take('ver-a', NOW + TTL))?.epoch).toBe(2);
        await expectNothingWritten(() => changeCall('ver-a', routed.index, { state: 'created' }, T0 + 3, { fence }), 'LEASE_LOST');
        await expectNothingWritten(() => changeCall('ver-a', opened.index, { state: 'created' }, T0 + 3, { fence: { deviceId: 'ops-1', epoch: 2 } }), 'CALL_CHANGED');
        const created = await changeCall('ver-a', routed.index, { state: 'created', epoch: 2 }, T0 + 3, { fence: { deviceId: 'ops-1', epoch: 2 } });
        expect(await store.findCall({ verificationId: 'ver-a' })).toMatchObject({ state: 'created', epoch: 2, version: created.index });
      });

      it('lists the live calls oldest opened first, without ended or failed ones', async () => {
        const states: CallState[] = ['requested', 'routed', 'created', 'ringing', 'connected', 'ended', 'failed'];
        const versions = new Map<string, number>();
        for (const [i, state] of states.entries()) versions.set(state, (await openCall(`ver-${state}`, `REF-${i}`, T0 + i)).index);
        // Changed newest first, so the order they were last written in is not the order they were opened in.
        for (const state of [...states].reverse()) await changeCall(`ver-${state}`, versions.get(state)!, { state, owner: 'server-b' }, T0 + 10);
        const live = await store.listLiveCalls();
        expect(live.map((c) => c.verificationId)).toEqual(['ver-requested', 'ver-routed', 'ver-created', 'ver-ringing', 'ver-connected']);
        expect(live.map((c) => c.state)).toEqual(['requested', 'routed', 'created', 'ringing', 'connected']);
        expect(live.every((c) => c.owner === 'server-b')).toBe(true);
        expect(await store.findCall({ verificationId: 'ver-ended' })).toMatchObject({ state: 'ended' });
      });

      it('keeps a device with a live call of another verification from being leased, even once its lease lapsed', async () => {
        const lease = await take('ver-a', NOW);
        const fence = { deviceId: 'ops-1', epoch: lease!.epoch };
        const opened = await openCall('ver-a', 'REF-1', T0, { state: 'routed', deviceId: 'ops-1', epoch: fence.epoch }, { fence });
        expect(await take('ver-b', NOW + TTL + 1)).toBeNull();
        expect(await store.releaseLease('ops-1', 'ver-a')).toBe(true);
        expect(await take('ver-b', NOW + TTL + 2)).toBeNull();
        expect(await take('ver-b', NOW + TTL + 2, 'ops-2')).toMatchObject({ holder: 'ver-b', epoch: 1 });
        // The call's own verification may take the device back (a server adopting it).
        const adopted = await take('ver-a', NOW + TTL + 3);
        expect(adopted).toMatchObject({ holder: 'ver-a', epoch: 2 });
        await changeCall('ver-a', opened.index, { state: 'ended' }, T0 + 1, { fence: { deviceId: 'ops-1', epoch: adopted!.epoch } });
        // The end released the lease with it: the device is free at once.
        expect(await take('ver-b', NOW + TTL + 4)).toMatchObject({ holder: 'ver-b', epoch: 3 });
      });

      it('lets exactly one of 20 simultaneous changes at the same version through', async () => {
        const opened = await openCall('ver-a', 'REF-1');
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            changeCall('ver-a', opened.index, { owner: `server-${i}` }, T0 + 1).then(
              (entry) => ({ i, index: entry.index }),
              (error: unknown) => {
                if (BridgeError.hasCode(error, 'CALL_CHANGED')) return null;
                throw error;
              },
            ),
          ),
        );
        const winners = outcomes.filter((outcome) => outcome !== null);
        expect(winners).toHaveLength(1);
        expect(await store.findCall({ verificationId: 'ver-a' })).toMatchObject({ owner: `server-${winners[0]!.i}`, version: winners[0]!.index });
        expect((await store.head()).size).toBe(2);
      });

      it('gives a reference to exactly one of 20 calls opened with it at once', async () => {
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            openCall(`ver-${i}`, 'REF-1').then(
              () => `ver-${i}`,
              (error: unknown) => {
                if (BridgeError.hasCode(error, 'REFERENCE_TAKEN')) return null;
                throw error;
              },
            ),
          ),
        );
        const winners = outcomes.filter((outcome) => outcome !== null);
        expect(winners).toHaveLength(1);
        expect(await store.findCall({ reference: 'REF-1' })).toMatchObject({ verificationId: winners[0] });
        expect(await store.listLiveCalls()).toHaveLength(1);
        expect((await store.head()).size).toBe(1);
      });
    });

    describe('concurrency', () => {
      it('gives a device to exactly one of 50 simultaneous acquirers', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.acquireLease({ deviceId: 'ops-1', holder: `ver-${i}`, ttlMs: 60_000, nowMs: T0 }),
          ),
        );
        const winners = results.filter((lease): lease is DeviceLease => lease !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]?.epoch).toBe(1);
        expect(await store.currentLease('ops-1', T0)).toEqual(winners[0]);
      });

      it('gives a lapsed device to exactly one of 50 simultaneous acquirers, with the next epoch', async () => {
        // A device leased before has a row already, so nothing but the store's own locking keeps this race fair.
        await store.acquireLease({ deviceId: 'ops-1', holder: 'ver-first', ttlMs: 1_000, nowMs: T0 });
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.acquireLease({ deviceId: 'ops-1', holder: `ver-${i}`, ttlMs: 60_000, nowMs: T0 + 1_000 }),
          ),
        );
        const winners = results.filter((lease): lease is DeviceLease => lease !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]?.epoch).toBe(2);
        expect(await store.currentLease('ops-1', T0 + 1_000)).toEqual(winners[0]);
      });

      it('gives 200 simultaneous appends the indexes 0..199, each once', async () => {
        const returned = await Promise.all(
          Array.from({ length: 200 }, (_, i) => store.append(simple(i, { verificationId: `ver-${i % 7}` }), T0 + i)),
        );
        const sorted = returned.map((e) => e.index).sort((a, b) => a - b);
        expect(sorted).toEqual(Array.from({ length: 200 }, (_, i) => i));
        const read = await store.readEntries();
        expect(read.map((e) => e.index)).toEqual(sorted);
        expect(new Set(read.map((e) => e.data.n)).size).toBe(200);
        for (const entry of returned) expect(read[entry.index]).toStrictEqual(entry);
        const head = await store.head();
        expect(await store.verify()).toEqual({ ok: true, entries: 200, root: toHex(head.root) });
        expect(toHex(head.root)).toBe(expectedRootHex(read));
      });
    });

    describe('close', () => {
      it('makes further calls fail with STORE_FAILED', async () => {
        await store.append(simple(0), T0);
        await store.close();
        await expectBridgeError(store.append(simple(1), T0), 'STORE_FAILED');
        await expectBridgeError(store.head(), 'STORE_FAILED');
        await expectBridgeError(store.readEntries(), 'STORE_FAILED');
        await expectBridgeError(store.readLeafHashes(0, 1), 'STORE_FAILED');
        await expectBridgeError(store.verify(), 'STORE_FAILED');
        await expectBridgeError(store.acquireLease({ deviceId: 'd', holder: 'h', ttlMs: 1, nowMs: 0 }), 'STORE_FAILED');
        await expectBridgeError(store.currentLease('d', 0), 'STORE_FAILED');
      });
    });
  });
}
