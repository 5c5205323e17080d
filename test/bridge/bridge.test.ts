import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { BridgeError, createBridge, type CallAdapter, type CallState, type Clock } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { openSandbox, room, startRequest, type Sandbox } from '../support/sandbox.js';

const sandboxes: Sandbox[] = [];
const tempDirs: string[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
  while (tempDirs.length > 0) rmSync(tempDirs.pop()!, { recursive: true, force: true });
});

async function sandbox(options: Parameters<typeof openSandbox>[0] = {}): Promise<Sandbox> {
  const opened = await openSandbox(options);
  sandboxes.push(opened);
  return opened;
}

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-bridge-'));
  tempDirs.push(dir);
  return join(dir, 'evidence.db');
}

const states = (entries: { data: Record<string, unknown> }[]): CallState[] =>
  entries.flatMap((entry) => ((entry.data.transition as { to?: CallState } | undefined)?.to ? [(entry.data.transition as { to: CallState }).to] : []));

describe('configuration', () => {
  const base = () => ({ store: memoryStore(), adapters: [daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' })], rooms: [room('room-a')], personalDataKey: randomBytes(32) });

  it.each([
    ['a short personal-data key', { personalDataKey: randomBytes(16) }, 'INVALID_CONFIG'],
    ['two rooms with one id', { rooms: [room('room-a'), room('room-a', { device: { id: 'other', handles: {} } })] }, 'INVALID_CONFIG'],
    ['one device in two rooms', { rooms: [room('room-a'), room('room-b', { device: { id: 'room-a-device', handles: {} } })] }, 'INVALID_CONFIG'],
    ['a handle on an unknown provider', { rooms: [room('room-a', { device: { id: 'd', handles: { myspace: 'x' } } })] }, 'INVALID_CONFIG'],
    ['a published number that is not E.164', { rooms: [room('room-a', { publishedPhoneNumber: '020 7222 1234' })] }, 'INVALID_CONFIG'],
    ['a preference for an unknown provider', { preference: ['myspace'] }, 'INVALID_CONFIG'],
    ['an adapter of another contract version', { adapters: [{ ...daily({}), specificationVersion: 'v2' } as unknown as CallAdapter] }, 'UNSUPPORTED_SPECIFICATION'],
  ])('refuses %s', (_name, override, code) => {
    expect(() => createBridge({ ...base(), ...override })).toThrow(expect.objectContaining({ code }));
  });
});

describe('startVerification', () => {
  it('rejects bad input with INVALID_INPUT and logs nothing', async () => {
    const box = await sandbox();
    const cases = [
      startRequest({ officer: { collarNumber: 'no spaces!', warrantCardNumber: 'WC1', name: 'PC X', force: 'F' } }),
      startRequest({ reason: 'short' }),
      startRequest({ roomIds: ['no-such-room'] }),
      startRequest({ flow: 'callback' }),
      startRequest({ citizen: { apps: ['myspace'] } }),
      startRequest({ flow: 'callback', citizen: { phoneNumber: '07911 123456' } }),
      startRequest({ flow: 'teleport' as never }),
    ];
    for (const input of cases) {
      await expect(box.bridge.startVerification(input)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect((await box.store.head()).size).toBe(0);
  });

  it('never writes the citizen phone number into the log, only its keyed hash', async () => {
    const db = tempDb();
    const box = await sandbox({ store: sqliteStore({ filename: db }) });
    const call = await box.start({ flow: 'callback', citizen: { phoneNumber: '+44 7911 123456', browser: true } });
    expect(call.state).toBe('created');
    const created = call.timeline()[0]!;
    expect(created.data.citizenPhoneNumberHash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    await call.end();
    await box.store.close();
    // The number itself is held apart, in personal_data, until its retention ends (test/bridge/retention.test.ts).
    const raw = new Database(db, { readonly: true });
    const logged = JSON.stringify(raw.prepare('SELECT * FROM audit_entries').all());
    raw.close();
    expect(logged).not.toContain('7911123456');
    expect(logged).not.toContain('7911 123456');
  });

  it('keeps a call whose provider wrote its creation time unreadably, without that time', async () => {
    const fake = daily({ apiKey: 'k', webhookSecret: 'c2VjcmV0' });
    const adapter: CallAdapter = {
      ...fake,
      health: async () => ({ ok: true }),
      createCall: async () => ({ providerCallId: 'room-1', opsDevice: { url: 'https://x.invalid/1' }, otherSide: { url: 'https://x.invalid/1' }, providerCreatedAt: { value: 'yesterday-ish' } }),
    };
    const bridge = createBridge({ store: memoryStore(), adapters: [adapter], rooms: [room('room-a')], personalDataKey: randomBytes(32) });
    const call = await bridge.startVerification(startRequest());
    expect(call.state).toBe('created');
    expect(call.timeline().at(-1)).not.toHaveProperty('providerAt');
    await bridge.close();
  });

  it('gives one device to one call when many start at once', async () => {
    for (const store of [memoryStore(), sqliteStore({ filename: tempDb() })]) {
      const box = await sandbox({ store });
      const calls = await Promise.all(Array.from({ length: 12 }, () => box.start()));
      const created = calls.filter((c) => c.state === 'created');
      expect(created).toHaveLength(1);
      for (const refused of calls.filter((c) => c.state === 'failed')) {
        expect(refused.failure?.code).toBe('DEVICE_BUSY');
        expect(refused.decision?.rejected).toEqual([
          expect.objectContaining({ provider: 'daily', roomId: 'room-a', reason: 'device-busy' }),
        ]);
        expect(refused.fallback).toEqual({ opsRoomPhoneNumber: '+442072221234', opsRoomName: 'Ops room room-a', emergencyNumber: '999' });
      }
      await created[0]!.end();
      await box.bridge.idle();
      expect((await box.start()).state).toBe('created');
      expect((await store.verify()).ok).toBe(true);
    }
  });

  it('routes a second call to the next room while the first device is busy', async () => {
    const box = await sandbox({ rooms: [room('room-a'), room('room-b')] });
    const first = await box.start();
    const second = await box.start();
    expect(first.deviceId).toBe('room-a-device');
    expect(second.deviceId).toBe('room-b-device');
    expect(second.decision?.rejected).toEqual([expect.objectContaining({ roomId: 'room-a', reason: 'device-busy' })]);
  });

  it('offers the phone numbers, and logs why, when no provider fits', async () => {
    const box = await sandbox();
    const call = await box.start({ citizen: { platform: 'android', browser: false } });
    expect(call.state).toBe('failed');
    expect(call.decision).toMatchObject({ kind: 'phone-fallback', rejected: [{ provider: 'daily', reason: 'caller-cannot-use' }] });
    expect(call.fallback?.emergencyNumber).toBe('999');
    expect(call.failure?.code).toBe('NO_ROUTE');
    const logged = call.timeline().find((e) => e.type === 'route.decided')!;
    expect(logged.data).toMatchObject({ kind: 'phone-fallback', rejected: [{ reason: 'caller-cannot-use' }], transition: { to: 'failed' } });
    await expect(call.end()).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });
});

describe('a call through its life', () => {
  it('refuses illegal steps without losing anything already logged', async () => {
    const box = await sandbox();
    const call = await box.start();
    const supervisor = { collarNumber: 'sgt1', name: 'Sgt Test' };
    await expect(call.recordOutcome({ supervisor, outcome: 'verified' })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await expect(call.recordOutcome({ supervisor, outcome: 'maybe' as never })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await call.recordOutcome({ supervisor, outcome: 'inconclusive', note: 'citizen did not join' });
    await expect(call.recordOutcome({ supervisor, outcome: 'not-verified' })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(call.outcome).toMatchObject({ outcome: 'inconclusive', supervisor: { collarNumber: 'SGT1' } });
    await call.end();
    expect((await box.store.verify()).ok).toBe(true);
    expect((await box.store.readEntries()).map((e) => e.type)).toEqual([
      'verification.created',
      'route.decided',
      'call.created',
      'outcome.recorded',
      'call.ended',
    ]);
  });

  it('moves only forward when the provider delivers out of order, and keeps late events', async () => {
    const box = await sandbox();
    const call = await box.start();
    const entryTypes: string[] = [];
    call.on('entry', (entry) => entryTypes.push(entry.type));
    const seen: string[] = [];
    call.on('state', ({ from, to }) => seen.push(`${from}->${to}`));
    // Both join before meeting.started is seen: Daily does not promise order.
    await box.fake.play('ops-joined', call.providerCallId!);
    await box.fake.play('other-joined', call.providerCallId!);
    expect(call.state).toBe('connected');
    await call.end();
    const [late] = await box.fake.play('call-ended', call.providerCallId!);
    expect(late!.status).toBe(200);
    const timeline = call.timeline();
    expect(timeline.at(-1)).toMatchObject({ type: 'call.ended', source: 'provider', data: { late: true } });
    expect(timeline.at(-1)!.data.transition).toBeUndefined();
    expect(seen).toEqual(['created->ringing', 'ringing->connected', 'connected->ended']);
    expect(entryTypes).toEqual(timeline.slice(3).map((e) => e.type));
    expect(states(timeline)).toEqual(['requested', 'routed', 'created', 'ringing', 'connected', 'ended']);
  });

  it('keeps a listener that throws from breaking the call, and reports it', async () => {
    const box = await sandbox();
    const reported: BridgeError[] = [];
    box.bridge.on('background-error', (error) => reported.push(error));
    const call = await box.start();
    call.on('state', () => {
      throw new Error('listener bug');
    });
    await box.play(call, 'ops-joined');
    expect(call.state).toBe('ringing');
    expect(reported.length).toBeGreaterThan(0);
  });

  it('logs genuine events for calls it does not know, rather than dropping them', async () => {
    const box = await sandbox();
    const delivery = await box.fake.send('meeting.started', { room: 'started-elsewhere', meeting_id: 'm1', start_ts: Math.floor(Date.now() / 1000) });
    expect(delivery.status).toBe(200);
    const [entry] = await box.store.readEntries();
    expect(entry).toMatchObject({ type: 'provider.unmatched-event', source: 'provider', provider: 'daily', data: { providerCallId: 'started-elsewhere' } });
  });

  it('answers a signed but malformed delivery with 400', async () => {
    const box = await sandbox();
    const rejected: string[] = [];
    box.bridge.on('webhook-rejected', (report) => rejected.push(report.reason));
    const delivery = await box.fake.send('participant.joined', { room: 'x' });
    expect(delivery.status).toBe(400);
    expect(rejected).toEqual(['malformed']);
    expect((await box.store.head()).size).toBe(0);
  });

  it('ignores provider events outside a call lifecycle without logging them', async () => {
    const box = await sandbox();
    const delivery = await box.fake.send('waiting-participant.joined', { room: 'x' });
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.responseBody)).toMatchObject({ ignored: expect.stringContaining('waiting-participant.joined') });
    expect((await box.store.head()).size).toBe(0);
  });
});

describe('timestamps', () => {
  it('never run backwards in the log when the wall clock steps back', async () => {
    // The clock reads 10:00:05 while the call starts, then steps back an hour before it ends.
    let reading = Date.UTC(2026, 10, 27, 10, 0, 5);
    const clock: Clock = { now: () => reading };
    const box = await sandbox({ clock });
    const call = await box.start();
    reading = Date.UTC(2026, 10, 27, 9, 0, 0);
    await call.end();
    const ats = call.timeline().map((e) => e.at);
    expect([...ats].sort()).toEqual(ats);
    expect(ats.at(-1)).toBe('2026-11-27T10:00:05.000Z');
  });
});

describe('reading the log', () => {
  it('logs who read it, why, and what', async () => {
    const box = await sandbox();
    const call = await box.start();
    const entries = await box.bridge.readLog({ actor: 'psd:inspector-7', purpose: 'complaint 123', verificationId: call.verification.id });
    expect(entries.at(-1)).toMatchObject({
      type: 'audit.read',
      actor: 'psd:inspector-7',
      verificationId: call.verification.id,
      data: { scope: call.verification.id, purpose: 'complaint 123' },
    });
    await expect(box.bridge.readLog({ actor: ' ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const result = await box.bridge.verifyLog({ actor: 'cli:auditor' });
    expect(result).toMatchObject({ ok: true, entries: 4 });
    expect((await box.store.readEntries()).at(-1)).toMatchObject({ type: 'audit.verified', actor: 'cli:auditor', data: { ok: true, entries: 4 } });
  });
});
