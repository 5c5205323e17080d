import { invalidInput } from './errors.js';
import { phoneParser } from './phone-library.js';
import { cleanText } from './text-hygiene.js';
import { FLOWS, type EncounterLocation, type Flow, type Officer } from './types.js';

export { cleanText, type TextRules } from './text-hygiene.js';

/** Shortest stated reason accepted: a word or two is not a reason a citizen can weigh. */
export const MIN_REASON_LENGTH = 10;
/** Longest stated reason accepted. */
export const MAX_REASON_LENGTH = 500;

/**
 * Longest identifier (actor, verification, room or device id) accepted, in code points: half the 256
 * UTF-16 units a log entry's `actor` may hold, so even astral characters fit.
 */
export const MAX_IDENTIFIER_LENGTH = 128;

// Tested before upper-casing: `ſ` and `ı` upper-case to S and I, which would let a look-alike through.
const COLLAR_NUMBER = /^[A-Za-z0-9]{1,10}$/;
const WARRANT_CARD_NUMBER = /^[A-Za-z0-9][A-Za-z0-9-]{2,19}$/;

/** Parses an E.164 phone number (`+447911123456`), or throws INVALID_INPUT naming the field. */
export function parseE164(value: unknown, field: string): string {
  const trimmed = cleanText(value, field, { min: 1, max: 64 });
  if (!trimmed.startsWith('+')) throw invalidInput(`${field} must be an international phone number starting with +`, { field });
  const parsed = phoneParser()(trimmed);
  if (!parsed || !parsed.isValid()) throw invalidInput(`${field} is not a valid phone number`, { field });
  return parsed.number;
}

/** Validates and normalises an officer (trimmed, identifiers upper-cased). */
export function parseOfficer(value: unknown): Officer {
  if (typeof value !== 'object' || value === null) throw invalidInput('officer is required', { field: 'officer' });
  const raw = value as Record<string, unknown>;
  const collarNumber = parseCollarNumber(raw.collarNumber, 'officer.collarNumber');
  const warrantCardNumber = identifier(
    raw.warrantCardNumber,
    'officer.warrantCardNumber',
    WARRANT_CARD_NUMBER,
    'three to twenty letters, digits or dashes',
  );
  return {
    collarNumber,
    warrantCardNumber,
    name: cleanText(raw.name, 'officer.name', { min: 2, max: 100 }),
    force: cleanText(raw.force, 'officer.force', { min: 2, max: 100 }),
  };
}

/** Validates a collar number (one to ten letters or digits), upper-casing it. */
export function parseCollarNumber(value: unknown, field: string): string {
  return identifier(value, field, COLLAR_NUMBER, 'one to ten letters or digits');
}

/** Validates the officer's stated reason for the encounter. */
export function parseReason(value: unknown): string {
  return cleanText(value, 'reason', { min: MIN_REASON_LENGTH, max: MAX_REASON_LENGTH });
}

/** Validates an identifier the app passes (actor, verification, room or device id, provider name): one clean line, trimmed. */
export function parseIdentifier(value: unknown, field: string, max = MAX_IDENTIFIER_LENGTH): string {
  return cleanText(value, field, { min: 1, max });
}

/** Validates an optional encounter location. */
export function parseLocation(value: unknown): EncounterLocation | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) throw invalidInput('location must be an object', { field: 'location' });
  const raw = value as Record<string, unknown>;
  const location: EncounterLocation = {};
  if (raw.latitude !== undefined || raw.longitude !== undefined) {
    location.latitude = bounded(raw.latitude, 'location.latitude', -90, 90);
    location.longitude = bounded(raw.longitude, 'location.longitude', -180, 180);
  }
  if (raw.accuracyMetres !== undefined) location.accuracyMetres = bounded(raw.accuracyMetres, 'location.accuracyMetres', 0, 100_000);
  if (raw.description !== undefined) location.description = cleanText(raw.description, 'location.description', { min: 1, max: 200 });
  if (Object.keys(location).length === 0) throw invalidInput('location needs coordinates or a description', { field: 'location' });
  return location;
}

/** Validates a flow name. */
export function parseFlow(value: unknown): Flow {
  if (!FLOWS.includes(value as Flow)) throw invalidInput(`flow must be one of ${FLOWS.join(', ')}`, { field: 'flow' });
  return value as Flow;
}

function identifier(value: unknown, field: string, pattern: RegExp, description: string): string {
  const trimmed = cleanText(value, field, { min: 1, max: MAX_IDENTIFIER_LENGTH });
  if (!pattern.test(trimmed)) throw invalidInput(`${field} must be ${description}`, { field });
  return trimmed.toUpperCase();
}

function bounded(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidInput(`${field} must be a number from ${min} to ${max}`, { field });
  }
  return value;
}
