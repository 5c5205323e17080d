import { afterEach, describe, expect, it } from 'vitest';
import type { AttestationInput } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
});

async function sandbox(): Promise<Sandbox> {
  const opened = await openSandbox();
  sandboxes.push(opened);
  return opened;
}

const SUPERVISOR = { collarNumber: 'sgt1234', name: 'Sgt Alex Morgan' };
const attestation = (fact: AttestationInput['fact'], note?: string): AttestationInput => ({ fact, supervisor: SUPERVISOR, ...(note ? { note } : {}) });

describe('operator attestation', () => {
  it('moves a call through its life on a named supervisor word, and ending it releases the provider and the device', async () => {
    const box = await sandbox();
    const call = await box.start();
    await call.attest(attestation('answered'));
    expect(call.state).toBe('ringing');
    await call.attest(attestation('connected'));
    expect(call.state).toBe('connected');
    const confirmed = await call.attest(attestation('officer-identity-confirmed', 'warrant card matched the duty roster'));
    expect(confirmed.data.transition).toBeUndefined();
    await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified' });
    const ended = await call.attest(attestation('ended'));
    expect(call.state).toBe('ended');
    expect(ended.data.providerCleanup).toMatchObject({ ok: true });
    await box.bridge.idle();
    expect(box.fake.holdsCall(call.providerCallId!)).toBe(false);
    expect(await box.store.currentLease('room-a-device', Date.now())).toBeNull();

    const attested = call.timeline().filter((e) => e.type === 'operator.attested');
    expect(attested.map((e) => e.data.fact)).toEqual(['answered', 'connected', 'officer-identity-confirmed', 'ended']);
    for (const entry of attested) {
      expect(entry.source).toBe('operator');
      expect(entry.actor).toBe('supervisor:SGT1234');
      expect(entry.data.supervisor).toEqual({ collarNumber: 'SGT1234', name: 'Sgt Alex Morgan' });
    }
    expect(confirmed.data.note).toBe('warrant card matched the duty roster');
    expect((await box.store.verify()).ok).toBe(true);
  });

  it('logs an attestation that a provider event already overtook without moving the call back', async () => {
    const box = await sandbox();
    const call = await box.start();
    await box.play(call, 'ops-joined', 'other-joined');
    expect(call.state).toBe('connected');
    const answered = await call.attest(attestation('answered'));
    expect(answered.data.transition).toBeUndefined();
    expect(call.state).toBe('connected');
    await call.end();
  });

  it('refuses identity confirmation before the call connects, and anything after it ends, logging nothing', async () => {
    const box = await sandbox();
    const call = await box.start();
    const size = (await box.store.head()).size;
    await expect(call.attest(attestation('officer-identity-confirmed'))).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect((await box.store.head()).size).toBe(size);
    await call.end();
    const ended = (await box.store.head()).size;
    await expect(call.attest(attestation('connected'))).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await expect(call.attest(attestation('ended'))).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect((await box.store.head()).size).toBe(ended);
  });

  it('refuses malformed attestations with INVALID_INPUT', async () => {
    const box = await sandbox();
    const call = await box.start();
    const size = (await box.store.head()).size;
    for (const bad of [
      { fact: 'teleported', supervisor: SUPERVISOR },
      { fact: 'answered' },
      { fact: 'answered', supervisor: { collarNumber: 'has spaces!', name: 'Sgt X' } },
      { fact: 'answered', supervisor: SUPERVISOR, note: '' },
    ]) {
      await expect(call.attest(bad as unknown as AttestationInput)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect((await box.store.head()).size).toBe(size);
    expect(call.state).toBe('created');
    await call.end();
  });
});
