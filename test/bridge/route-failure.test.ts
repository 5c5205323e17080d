import { afterEach, describe, expect, it } from 'vitest';
import { openSandbox, room, type Sandbox } from '../support/sandbox.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

describe('the failure a call that found no route reports', () => {
  it('is NO_ROUTE when one device is busy and the other room has no handle for the provider, also as read back from the log', async () => {
    box = await openSandbox({ rooms: [room('room-a'), room('room-b', { device: { id: 'room-b-device', handles: {} } })] });
    expect((await box.start()).state).toBe('created');
    const refused = await box.start();
    expect(refused.decision?.rejected.map((r) => [r.roomId, r.reason])).toEqual([
      ['room-a', 'device-busy'],
      ['room-b', 'no-handle'],
    ]);
    expect(refused.failure?.code).toBe('NO_ROUTE');
    expect((await box.bridge.getCall(refused.verification.id))?.failure?.code).toBe('NO_ROUTE');
  });

  it('is DEVICE_BUSY when busy devices were the only obstacle', async () => {
    box = await openSandbox({ rooms: [room('room-a'), room('room-b')] });
    await box.start();
    await box.start();
    const refused = await box.start();
    expect(refused.decision?.rejected.map((r) => r.reason)).toEqual(['device-busy', 'device-busy']);
    expect(refused.failure?.code).toBe('DEVICE_BUSY');
  });
});
