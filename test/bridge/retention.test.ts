import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import sqliteStore from '../../src/stores/sqlite.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const sandboxes: Sandbox[] = [];
const dirs: string[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
  while (dirs.length > 0) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function fileBytes(db: string): string {
  return [db, `${db}-wal`].map((path) => readFileSync(path, { flag: 'a+' }).toString('latin1')).join('');
}

describe('personal data retention', () => {
  it('keeps her number apart from the log, erases it when its retention ends, logs the erasure, and the tree still verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcb-retention-'));
    dirs.push(dir);
    const db = join(dir, 'evidence.db');
    let now = Date.UTC(2026, 10, 27, 12);
    const box = await openSandbox({ store: sqliteStore({ filename: db }), clock: { now: () => now }, personalDataRetentionMs: 7 * DAY });
    sandboxes.push(box);

    const call = await box.start({ flow: 'callback', citizen: { phoneNumber: '+44 7911 123456', browser: true } });
    await call.end();
    const hash = call.timeline()[0]!.data.citizenPhoneNumberHash as string;
    expect(await box.store.getPersonalData(hash)).toMatchObject({ kind: 'phone', value: '+447911123456', retainUntilMs: now + 7 * DAY });
    const raw = new Database(db, { readonly: true });
    expect(JSON.stringify(raw.prepare('SELECT * FROM audit_entries').all())).not.toContain('7911123456');
    raw.close();

    now += 7 * DAY - 1;
    expect(await box.bridge.erasePersonalData({ actor: 'dpo:jsmith' })).toBe(0);
    now += 1;
    expect(await box.bridge.erasePersonalData({ actor: 'dpo:jsmith' })).toBe(1);
    expect(await box.store.getPersonalData(hash)).toBeNull();
    const erasure = (await box.store.readEntries({ type: 'personal-data.erased' }))[0]!;
    expect(erasure).toMatchObject({ actor: 'dpo:jsmith', source: 'sdk', data: { erased: [{ hash, kind: 'phone' }] } });
    expect((await box.store.verify()).ok).toBe(true);
    expect(fileBytes(db)).not.toContain('7911123456');
  });

  it('erases her number on its own within an hour of its retention ending, without anyone calling erasePersonalData', async () => {
    // Only the periodic timers are faked: the bridge's jobs run when the test moves them on, and its clock says when it is.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = Date.UTC(2026, 10, 27, 12);
    const box = await openSandbox({ clock: { now: () => now }, personalDataRetentionMs: 7 * DAY });
    sandboxes.push(box);
    const call = await box.start({ flow: 'callback', citizen: { phoneNumber: '+44 7911 123456', browser: true } });
    await call.end();
    const hash = call.timeline()[0]!.data.citizenPhoneNumberHash as string;

    now += 7 * DAY;
    await vi.advanceTimersByTimeAsync(HOUR - 1);
    await box.bridge.idle();
    expect(await box.store.getPersonalData(hash)).not.toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    await box.bridge.idle();
    expect(await box.store.getPersonalData(hash)).toBeNull();
    expect(await box.store.readEntries({ type: 'personal-data.erased' })).toMatchObject([{ actor: 'sdk:retention', data: { erased: [{ hash, kind: 'phone' }] } }]);
  });

  it('refuses an erasure by nobody and a retention that is not a positive duration', async () => {
    const box = await openSandbox();
    sandboxes.push(box);
    await expect(box.bridge.erasePersonalData({ actor: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(openSandbox({ personalDataRetentionMs: 0 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
