import { afterEach, expect, it, vi } from 'vitest';
import { openSandbox, room, type Sandbox } from '../support/sandbox.js';

// The generator is random; make it collide on purpose.
vi.mock('../../src/core/reference.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/core/reference.js')>();
  const sequence = ['K7Q-4MP', 'K7Q-4MP', 'K7Q-4MP', 'X2Z-9TR'];
  return { ...original, newVerificationReference: () => sequence.shift() ?? original.newVerificationReference() };
});

let box: Sandbox;
afterEach(() => box.close());

it('never hands out a reference that an unexpired verification already has', async () => {
  box = await openSandbox({ rooms: [room('room-a'), room('room-b')] });
  const first = await box.start();
  const second = await box.start();
  expect(first.verification.reference).toBe('K7Q-4MP');
  expect(second.verification.reference).toBe('X2Z-9TR');
});
