import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
});

async function sandbox(clock?: Clock): Promise<Sandbox> {
  const opened = await openSandbox(clock ? { clock } : {});
  sandboxes.push(opened);
  return opened;
}

describe('reference lookup', () => {
  it('shows the ops console the verification once, then says already-used; every lookup is logged', async () => {
    const box = await sandbox();
    const call = await box.start();
    const typed = call.verification.reference.toLowerCase().replace('-', ' ');
    const first = await box.bridge.lookUpReference(typed, { actor: 'console:sgt1' });
    expect(first).toMatchObject({
      outcome: 'found',
      reference: call.verification.reference,
      verificationId: call.verification.id,
      officer: { collarNumber: '4721AB', name: 'PC Test' },
      reason: 'Checking on a report of a person in distress',
      officerCheck: { status: 'not-checked' },
      state: 'created',
    });
    const again = await box.bridge.lookUpReference(call.verification.reference, { actor: 'console:sgt2' });
    expect(again.outcome).toBe('already-used');
    expect(again.officer).toBeUndefined();
    const lookups = (await box.store.readEntries()).filter((e) => e.type === 'reference.looked-up');
    expect(lookups.map((e) => [e.actor, e.data.outcome, e.verificationId, e.source])).toEqual([
      ['console:sgt1', 'found', call.verification.id, 'operator'],
      ['console:sgt2', 'already-used', call.verification.id, 'operator'],
    ]);
    await call.end();
  });

  it('refuses an expired reference, and logs the attempt', async () => {
    let now = Date.UTC(2026, 10, 27, 12);
    const box = await sandbox({ now: () => now });
    const call = await box.start();
    now += 15 * 60_000 + 1;
    const lookup = await box.bridge.lookUpReference(call.verification.reference, { actor: 'console:sgt1' });
    expect(lookup).toMatchObject({ outcome: 'expired', verificationId: call.verification.id });
    expect((await box.store.readEntries()).at(-1)).toMatchObject({ type: 'reference.looked-up', data: { outcome: 'expired' } });
    await call.end();
  });

  it('logs an unknown reference, and refuses a malformed one or a lookup by nobody', async () => {
    const box = await sandbox();
    const unknown = await box.bridge.lookUpReference('ZZZ-ZZZ', { actor: 'console:sgt1' });
    expect(unknown).toMatchObject({ outcome: 'unknown', reference: 'ZZZ-ZZZ' });
    expect(unknown.verificationId).toBeUndefined();
    const size = (await box.store.head()).size;
    await expect(box.bridge.lookUpReference('K7Q-4M', { actor: 'console:sgt1' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(box.bridge.lookUpReference('ZZZ-ZZZ', { actor: ' ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect((await box.store.head()).size).toBe(size);
  });
});
