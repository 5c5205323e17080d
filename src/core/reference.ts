import { randomInt, randomUUID } from 'node:crypto';
import { invalidInput } from './errors.js';

// No 0/O, 1/I/L or U/V: a supervisor reading it aloud and a citizen typing it cannot confuse letters.
const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ';
const REFERENCE_PATTERN = new RegExp(`^[${REFERENCE_ALPHABET}]{3}-[${REFERENCE_ALPHABET}]{3}$`);

/** A new verification reference such as `K7Q-4MP`: six characters from an unambiguous alphabet. */
export function newVerificationReference(): string {
  const pick = () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return `${pick()}${pick()}${pick()}-${pick()}${pick()}${pick()}`;
}

/** Normalises what a person typed (case, spaces, missing dash) to the canonical reference, or throws INVALID_INPUT. */
export function parseVerificationReference(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  const candidate = `${compact.slice(0, 3)}-${compact.slice(3)}`;
  if (!REFERENCE_PATTERN.test(candidate)) {
    throw invalidInput(`"${input}" is not a verification reference (three characters, a dash, three characters)`, { field: 'reference' });
  }
  return candidate;
}

/** A new opaque verification id. */
export function newVerificationId(): string {
  return `vrf_${randomUUID().replace(/-/g, '')}`;
}
