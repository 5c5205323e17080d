import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import {
  createBridge,
  createCheckpointSigner,
  generateSigningKey,
  parseSigningKey,
  type AuditEntry,
  type BridgeError,
  type LoggedCheckpoint,
} from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { openSandbox, room, type Sandbox } from '../support/sandbox.js';

const KEY = parseSigningKey(generateSigningKey('police.example/vcb-bridge-test').signingKey);
const sandboxes: Sandbox[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
});

async function checkpointedSandbox(): Promise<Sandbox> {
  const box = await openSandbox({ checkpoints: { signer: createCheckpointSigner({ key: KEY }) } });
  sandboxes.push(box);
  return box;
}

const ofType = (entries: AuditEntry[], type: string) => entries.filter((entry) => entry.type === type);

describe('a bridge with checkpoints', () => {
  it('seals a verification when its call ends, cleanup included, then signs a checkpoint over the seal', async () => {
    const box = await checkpointedSandbox();
    const signed: LoggedCheckpoint[] = [];
    box.bridge.on('checkpoint', (checkpoint) => signed.push(checkpoint));
    const call = await box.start();
    await box.play(call, 'ops-joined', 'other-joined', 'other-left', 'ops-left', 'call-ended');
    await box.bridge.idle();

    const all = await box.store.readEntries();
    const own = all.filter((entry) => entry.verificationId === call.verification.id);
    const [seal] = ofType(own, 'verification.sealed');
    const [cleanup] = ofType(own, 'call.cleaned-up');
    expect(seal!.index).toBe(own.at(-1)!.index);
    expect(cleanup!.index).toBeLessThan(seal!.index);
    expect(seal!.data.entries).toEqual(own.slice(0, -1).map((entry) => entry.index));
    const [checkpoint] = ofType(all, 'checkpoint.signed');
    expect(checkpoint!.index).toBe(seal!.index + 1);
    expect(checkpoint!.data.size).toBe(seal!.index + 1);
    expect(signed).toHaveLength(1);
    expect(signed[0]).toMatchObject({ size: seal!.index + 1, entryIndex: checkpoint!.index, verifierKey: KEY.verifierKey });
  });

  it('seals again when evidence arrives after the call ended, so the latest seal lists it', async () => {
    const box = await checkpointedSandbox();
    const call = await box.start();
    await box.play(call, 'ops-joined', 'other-joined', 'other-left', 'ops-left');
    await call.end();
    await box.bridge.idle();
    await box.play(call, 'call-ended');
    await box.bridge.idle();

    const own = (await box.store.readEntries()).filter((entry) => entry.verificationId === call.verification.id);
    const late = own.filter((entry) => entry.data.late === true);
    expect(late.map((entry) => entry.type)).toEqual(['call.ended']);
    const seals = ofType(own, 'verification.sealed');
    expect(seals.length).toBeGreaterThanOrEqual(2);
    const latest = seals.at(-1)!;
    for (const entry of late) expect(latest.data.entries).toContain(entry.index);
  });

  it('seals again when the outcome is recorded after the call ended', async () => {
    const box = await checkpointedSandbox();
    const call = await box.start();
    await box.play(call, 'ops-joined', 'other-joined', 'other-left', 'ops-left', 'call-ended');
    await box.bridge.idle();
    const outcome = await call.recordOutcome({ supervisor: { collarNumber: 'SGT1', name: 'Sgt Late' }, outcome: 'verified' });
    await box.bridge.idle();
    const own = (await box.store.readEntries()).filter((entry) => entry.verificationId === call.verification.id);
    const seals = ofType(own, 'verification.sealed');
    expect(seals.length).toBe(2);
    expect(seals.at(-1)!.data.entries).toContain(outcome.entryIndex);
  });

  it('seals and signs for a call that fails before it starts', async () => {
    const box = await checkpointedSandbox();
    const call = await box.start({ citizen: { apps: ['facetime'], platform: 'ios', browser: false } });
    expect(call.state).toBe('failed');
    await box.bridge.idle();
    const types = (await box.store.readEntries()).map((entry) => entry.type);
    expect(types.slice(-2)).toEqual(['verification.sealed', 'checkpoint.signed']);
  });

  it('signs on request, and refuses without a signer', async () => {
    const box = await checkpointedSandbox();
    await box.start();
    const signed = await box.bridge.signCheckpoint();
    expect(signed.size).toBeGreaterThan(0);
    const plain = createBridge({ store: memoryStore(), adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })], rooms: [room('r')], personalDataKey: randomBytes(32) });
    await expect(plain.signCheckpoint()).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('reports a log that contradicts its last checkpoint as a background AUDIT_TAMPERED, and signs nothing', async () => {
    const store = memoryStore();
    for (let i = 0; i < 5; i += 1) await store.append({ type: 'test.event', source: 'sdk', data: { i } }, Date.now());
    const signer = createCheckpointSigner({ key: KEY });
    await signer.sign(store, (input) => store.append(input, Date.now()));
    // The same signer on a store that lost its entries: a restored backup, say.
    const restored = memoryStore();
    for (let i = 0; i < 3; i += 1) await restored.append({ type: 'test.event', source: 'sdk', data: { i } }, Date.now());
    const bridge = createBridge({
      store: restored,
      adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })],
      rooms: [room('r')],
      personalDataKey: randomBytes(32),
      checkpoints: { signer },
    });
    const errors: BridgeError[] = [];
    bridge.on('background-error', (error) => errors.push(error));
    await bridge.idle();
    await bridge.close();
    expect(errors.map((e) => [e.code, e.details?.reason])).toEqual([['AUDIT_TAMPERED', 'truncated']]);
    expect(ofType(await restored.readEntries(), 'checkpoint.signed')).toEqual([]);
  });

  it('signs when the newest checkpoint is older than everyMs, read from the log so restarts do not postpone it', async () => {
    const store = memoryStore();
    await store.append({ type: 'test.event', source: 'sdk', data: {} }, Date.now());
    let now = Date.now();
    const options = {
      store,
      adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })],
      rooms: [room('r')],
      personalDataKey: randomBytes(32),
      clock: { now: () => now },
      checkpoints: { signer: createCheckpointSigner({ key: KEY }), everyMs: 60_000 },
    };
    const first = createBridge(options);
    await first.idle();
    await first.close();
    expect(ofType(await store.readEntries(), 'checkpoint.signed')).toHaveLength(1);
    const early = createBridge(options);
    await early.idle();
    await early.close();
    expect(ofType(await store.readEntries(), 'checkpoint.signed')).toHaveLength(1);
    now += 60_000;
    const late = createBridge(options);
    await late.idle();
    await late.close();
    expect(ofType(await store.readEntries(), 'checkpoint.signed')).toHaveLength(2);
  });

  it('keeps checking on a timer while it runs, and stops when closed', async () => {
    const store = memoryStore();
    await store.append({ type: 'test.event', source: 'sdk', data: {} }, Date.now());
    const bridge = createBridge({
      store,
      adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })],
      rooms: [room('r')],
      personalDataKey: randomBytes(32),
      checkpoints: { signer: createCheckpointSigner({ key: KEY }), everyMs: 20 },
    });
    await expect.poll(async () => ofType(await store.readEntries(), 'checkpoint.signed').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    await bridge.close();
    const count = ofType(await store.readEntries(), 'checkpoint.signed').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ofType(await store.readEntries(), 'checkpoint.signed')).toHaveLength(count);
  });

  it('refuses an everyMs that is not a positive whole number', () => {
    const base = { store: memoryStore(), adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })], rooms: [room('r')], personalDataKey: randomBytes(32) };
    for (const everyMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => createBridge({ ...base, checkpoints: { signer: createCheckpointSigner({ key: KEY }), everyMs } })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIG' }),
      );
    }
  });
});
