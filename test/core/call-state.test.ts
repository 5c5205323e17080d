import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, isAhead, isTerminal, type CallState } from '../../src/core/call-state.js';
import { BridgeError } from '../../src/core/errors.js';

const STATES: readonly CallState[] = ['requested', 'routed', 'created', 'ringing', 'connected', 'ended', 'failed'];

// The legal transitions, copied by hand from the table in src/core/call-state.ts.
const LEGAL: ReadonlyArray<readonly [CallState, CallState]> = [
  ['requested', 'routed'],
  ['requested', 'failed'],
  ['routed', 'created'],
  ['routed', 'failed'],
  ['created', 'ringing'],
  ['created', 'connected'],
  ['created', 'ended'],
  ['created', 'failed'],
  ['ringing', 'connected'],
  ['ringing', 'ended'],
  ['ringing', 'failed'],
  ['connected', 'ended'],
  ['connected', 'failed'],
];

const isLegal = (from: CallState, to: CallState): boolean => LEGAL.some(([f, t]) => f === from && t === to);

const ALL_PAIRS: Array<[CallState, CallState]> = STATES.flatMap((from) => STATES.map((to): [CallState, CallState] => [from, to]));
const ILLEGAL = ALL_PAIRS.filter(([from, to]) => !isLegal(from, to));

describe('call state transitions', () => {
  it('the hand-written tables cover all 49 pairs: 13 legal, 36 illegal', () => {
    expect(ALL_PAIRS).toHaveLength(49);
    expect(LEGAL).toHaveLength(13);
    expect(ILLEGAL).toHaveLength(36);
  });

  it.each(LEGAL)('%s → %s is accepted', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to, 'vrf_legal')).not.toThrow();
  });

  it.each(ILLEGAL)('%s → %s is rejected with ILLEGAL_TRANSITION', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    let caught: unknown;
    try {
      assertTransition(from, to, 'vrf_abc');
    } catch (error) {
      caught = error;
    }
    expect(BridgeError.isInstance(caught)).toBe(true);
    const error = caught as BridgeError;
    expect(error.code).toBe('ILLEGAL_TRANSITION');
    expect(error.details).toEqual({ from, to });
    expect(error.message).toContain('vrf_abc');
  });

  it('no state may transition to itself', () => {
    for (const state of STATES) expect(canTransition(state, state)).toBe(false);
  });
});

describe('isTerminal', () => {
  it('only ended and failed are terminal', () => {
    expect(STATES.filter((state) => isTerminal(state))).toEqual(['ended', 'failed']);
  });
});

describe('isAhead', () => {
  it('is true only for a state further along the lifecycle', () => {
    expect(isAhead('requested', 'routed')).toBe(true);
    expect(isAhead('created', 'connected')).toBe(true);
    expect(isAhead('ringing', 'ended')).toBe(true);
    expect(isAhead('connected', 'failed')).toBe(true);
    expect(isAhead('requested', 'ended')).toBe(true);
  });

  it('is false for the same state or a state behind', () => {
    expect(isAhead('connected', 'connected')).toBe(false);
    expect(isAhead('connected', 'ringing')).toBe(false);
    expect(isAhead('ringing', 'created')).toBe(false);
    expect(isAhead('routed', 'requested')).toBe(false);
  });

  it('ended and failed are level: neither is ahead of the other, nothing is ahead of them', () => {
    expect(isAhead('ended', 'failed')).toBe(false);
    expect(isAhead('failed', 'ended')).toBe(false);
    for (const state of STATES) {
      expect(isAhead('ended', state)).toBe(false);
      expect(isAhead('failed', state)).toBe(false);
    }
  });

  it('orders the states requested < routed < created < ringing < connected < ended', () => {
    const order: CallState[] = ['requested', 'routed', 'created', 'ringing', 'connected', 'ended'];
    for (let i = 0; i < order.length; i += 1) {
      for (let j = 0; j < order.length; j += 1) {
        expect(isAhead(order[i]!, order[j]!), `${order[i]} → ${order[j]}`).toBe(j > i);
      }
    }
  });
});
