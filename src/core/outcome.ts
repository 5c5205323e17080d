import { invalidInput } from './errors.js';
import { cleanText, type TextRules } from './text-hygiene.js';
import { parseCollarNumber } from './validation.js';

/** A supervisor's note on an outcome or attestation: free text that may run over lines. */
export const NOTE_RULES: TextRules = { min: 1, max: 1000, multiline: true };

/** The supervisor's verdict on the officer. */
export type Outcome = 'verified' | 'not-verified' | 'inconclusive';

/** The outcomes, for validation. */
export const OUTCOMES: readonly Outcome[] = ['verified', 'not-verified', 'inconclusive'];

/** The uniformed supervisor in the ops room who vouches (or does not). */
export interface Supervisor {
  /** Collar number. */
  collarNumber: string;
  /** Name. */
  name: string;
}

/** What the supervisor records at the end of a verification. */
export interface OutcomeInput {
  /** Who records it. */
  supervisor: Supervisor;
  /** The verdict. */
  outcome: Outcome;
  /** Free text for the record, e.g. what was checked. */
  note?: string;
}

/** An outcome as logged. */
export interface RecordedOutcome extends OutcomeInput {
  /** When it was logged. */
  at: string;
  /** The log entry that holds it. */
  entryIndex: number;
}

/** Validates an outcome, normalising the supervisor's collar number to upper case. */
export function parseOutcome(input: OutcomeInput): OutcomeInput {
  if (typeof input !== 'object' || input === null) throw invalidInput('outcome is required');
  if (!OUTCOMES.includes(input.outcome)) {
    throw invalidInput(`outcome must be one of ${OUTCOMES.join(', ')}`, { field: 'outcome' });
  }
  return {
    supervisor: parseSupervisor(input.supervisor),
    outcome: input.outcome,
    ...(input.note === undefined ? {} : { note: cleanText(input.note, 'note', NOTE_RULES) }),
  };
}

/** Validates the supervisor who signs an outcome or an attestation, upper-casing the collar number. */
export function parseSupervisor(value: unknown): Supervisor {
  const supervisor = value as Partial<Supervisor> | undefined;
  if (typeof supervisor !== 'object' || supervisor === null) throw invalidInput('supervisor is required', { field: 'supervisor' });
  const collarNumber = parseCollarNumber(supervisor.collarNumber, 'supervisor.collarNumber');
  return { collarNumber, name: cleanText(supervisor.name, 'supervisor.name', { min: 2, max: 100 }) };
}
