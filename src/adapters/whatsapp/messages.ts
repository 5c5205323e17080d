import { parseVerificationReference, type OutcomeConfirmation } from '../../index.js';

// As prefilled or typed: `K7Q-4MP` (any case), or `K7Q4MP` in capitals. A space is not accepted:
// ordinary words ("the car") would then look like references.
const REFERENCE_SHAPED = /\b([2-9A-Za-z]{3})-([2-9A-Za-z]{3})\b|\b([2-9A-Z]{3})([2-9A-Z]{3})\b/g;

/** The first verification reference in a message, normalised, or undefined when it carries none. */
export function referenceIn(text: string): string | undefined {
  for (const match of text.matchAll(REFERENCE_SHAPED)) {
    try {
      return parseVerificationReference(`${match[1] ?? match[3]}-${match[2] ?? match[4]}`);
    } catch {
      // Not from the reference alphabet (e.g. an ordinary word); look further.
    }
  }
  return undefined;
}

/** The text the citizen's WhatsApp opens with: the reference first, so nothing she adds can hide it. */
export function prefilledText(reference: string): string {
  return `${reference} — police verification call`;
}

/** The written record she keeps on her own phone. */
export function confirmationText(confirmation: OutcomeConfirmation): string {
  const verdict = { verified: 'VERIFIED', 'not-verified': 'NOT VERIFIED', inconclusive: 'NOT CONFIRMED (inconclusive)' }[confirmation.outcome];
  return [
    `Police verification ${confirmation.reference}: the officer was ${verdict}`,
    `by the ops room supervisor, collar number ${confirmation.supervisorCollarNumber}, at ${confirmation.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}.`,
    confirmation.outcome === 'verified' ? 'Keep this message as your record.' : 'If you feel unsafe, call 999 now.',
  ].join(' ');
}

/** What she is told when her message names no current verification. */
export function unmatchedText(reference: string): string {
  return `We could not match ${reference} to a current police verification. Do not rely on the person who gave it to you. If you feel unsafe, call 999.`;
}
