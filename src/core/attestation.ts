import type { CallState } from './call-state.js';
import { invalidInput } from './errors.js';
import { NOTE_RULES, parseSupervisor, type Supervisor } from './outcome.js';
import { cleanText } from './text-hygiene.js';

/**
 * What an ops-room operator can attest from what the device shows: for providers with no events
 * (FaceTime, WhatsApp calls, live Teams meetings) this is the only evidence of the call's life.
 */
export type AttestedFact = 'answered' | 'connected' | 'officer-identity-confirmed' | 'ended';

/** The facts, for validation. */
export const ATTESTED_FACTS: readonly AttestedFact[] = ['answered', 'connected', 'officer-identity-confirmed', 'ended'];

/** One attestation by a named supervisor. */
export interface AttestationInput {
  /** What the supervisor saw. */
  fact: AttestedFact;
  /** Who attests it; logged as the entry's actor. */
  supervisor: Supervisor;
  /** Free text for the record, e.g. how the identity was checked. */
  note?: string;
}

/** The state each fact moves a call to; identity confirmation is a fact about the officer, not the call. */
export const ATTESTED_STATES: Readonly<Record<AttestedFact, CallState | undefined>> = {
  answered: 'ringing',
  connected: 'connected',
  'officer-identity-confirmed': undefined,
  ended: 'ended',
};

/** Validates an attestation, upper-casing the supervisor's collar number. */
export function parseAttestation(input: AttestationInput): AttestationInput {
  if (typeof input !== 'object' || input === null) throw invalidInput('attestation is required');
  if (!ATTESTED_FACTS.includes(input.fact)) {
    throw invalidInput(`fact must be one of ${ATTESTED_FACTS.join(', ')}`, { field: 'fact' });
  }
  return {
    fact: input.fact,
    supervisor: parseSupervisor(input.supervisor),
    ...(input.note === undefined ? {} : { note: cleanText(input.note, 'note', NOTE_RULES) }),
  };
}
