import { BridgeError } from './errors.js';

/** Where a verification call is in its life. */
export type CallState = 'requested' | 'routed' | 'created' | 'ringing' | 'connected' | 'ended' | 'failed';

// A call may skip `ringing` (both sides can be seen joining at once) and may end before it connects.
const NEXT_STATES: Readonly<Record<CallState, readonly CallState[]>> = {
  requested: ['routed', 'failed'],
  routed: ['created', 'failed'],
  created: ['ringing', 'connected', 'ended', 'failed'],
  ringing: ['connected', 'ended', 'failed'],
  connected: ['ended', 'failed'],
  ended: [],
  failed: [],
};

const PROGRESS: Readonly<Record<CallState, number>> = {
  requested: 0,
  routed: 1,
  created: 2,
  ringing: 3,
  connected: 4,
  ended: 5,
  failed: 5,
};

/** Whether `from → to` is a legal transition. */
export function canTransition(from: CallState, to: CallState): boolean {
  return NEXT_STATES[from].includes(to);
}

/** Throws ILLEGAL_TRANSITION unless `from → to` is legal. */
export function assertTransition(from: CallState, to: CallState, verificationId: string): void {
  if (!canTransition(from, to)) {
    throw new BridgeError('ILLEGAL_TRANSITION', `verification ${verificationId} cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
}

/** Whether the call can change no more. */
export function isTerminal(state: CallState): boolean {
  return NEXT_STATES[state].length === 0;
}

/**
 * Whether a provider event pointing at `target` should move a call now in `current`: only forwards.
 * Providers deliver out of order (Daily's `meeting.started` may trail `participant.joined`), so an
 * event that points backwards is logged as evidence and moves nothing.
 */
export function isAhead(current: CallState, target: CallState): boolean {
  return PROGRESS[target] > PROGRESS[current];
}
