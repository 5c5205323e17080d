import { afterEach, describe, expect, it } from 'vitest';
import { inMemoryOfficerDirectory, type BridgeError, type OfficerDirectory } from '../../src/index.js';
import { openSandbox, startRequest, type Sandbox } from '../support/sandbox.js';

const sandboxes: Sandbox[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()!.close();
});

async function sandbox(officerDirectory?: OfficerDirectory): Promise<Sandbox> {
  const opened = await openSandbox(officerDirectory ? { officerDirectory } : {});
  sandboxes.push(opened);
  return opened;
}

// startRequest's officer is PC Test, collar 4721AB, warrant card WC-100200.
const roster = () =>
  inMemoryOfficerDirectory([{ collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'Test', photoRef: 'hr://photos/4721', onDuty: true }]);
const SUPERVISOR = { collarNumber: 'SGT1', name: 'Sgt Roster' };

describe('officer directory', () => {
  it('passes an on-duty officer whose card and name match the roster, and logs the check', async () => {
    const box = await sandbox(roster());
    const call = await box.start();
    expect(call.verification.officerCheck).toEqual({ status: 'on-duty', flagged: false, rosterName: 'Test', photoRef: 'hr://photos/4721' });
    expect(call.timeline()[0]!.data.officerCheck).toMatchObject({ status: 'on-duty', flagged: false });
    await call.end();
  });

  it.each([
    ['an unknown warrant card', { warrantCardNumber: 'WC-999999' }, 'unknown'],
    ['a name that is not the roster name', { name: 'PC Someone Else' }, 'name-mismatch'],
  ])('flags %s', async (_what, officerOverride, status) => {
    const box = await sandbox(roster());
    const officer = { ...startRequest().officer, ...officerOverride };
    const call = await box.bridge.startVerification(startRequest({ officer }));
    expect(call.verification.officerCheck).toMatchObject({ status, flagged: true });
    expect(call.timeline()[0]!.data.officerCheck).toMatchObject({ status, flagged: true });
    await call.end();
  });

  it('flags an off-duty officer and will not take a bare "verified" for him', async () => {
    const directory = roster();
    directory.setOnDuty('4721AB', false);
    const box = await sandbox(directory);
    const call = await box.start();
    expect(call.verification.officerCheck).toMatchObject({ status: 'off-duty', flagged: true });
    await box.play(call, 'ops-joined', 'other-joined');
    await expect(call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const recorded = await call.recordOutcome({ supervisor: SUPERVISOR, outcome: 'verified', note: 'Called his inspector: on an overtime shift not yet on the roster' });
    expect(recorded.outcome).toBe('verified');
    await call.end();
  });

  it('flags a failing directory as unavailable, reports it, and still routes the call', async () => {
    const box = await sandbox({
      lookup: async () => {
        throw new Error('roster service down');
      },
    });
    const errors: BridgeError[] = [];
    box.bridge.on('background-error', (error) => errors.push(error));
    const call = await box.start();
    expect(call.state).toBe('created');
    expect(call.verification.officerCheck).toEqual({ status: 'directory-unavailable', flagged: true });
    expect(errors).toHaveLength(1);
    await call.end();
  });

  it('says not-checked, unflagged, when the force configured no directory', async () => {
    const box = await sandbox();
    const call = await box.start();
    expect(call.verification.officerCheck).toEqual({ status: 'not-checked', flagged: false });
    await call.end();
  });
});
