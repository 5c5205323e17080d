import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { invalidInput } from './errors.js';
import { FLOWS, type EncounterLocation, type Flow, type Officer } from './types.js';

/** Shortest stated reason accepted: a word or two is not a reason a citizen can weigh. */
export const MIN_REASON_LENGTH = 10;
/** Longest stated reason accepted. */
export const MAX_REASON_LENGTH = 500;

const COLLAR_NUMBER = /^[A-Z0-9]{1,10}$/;
const WARRANT_CARD_NUMBER = /^[A-Z0-9][A-Z0-9-]{2,19}$/;
// Printable text only: control characters could forge lines in anything that renders the log.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Parses an E.164 phone number (`+447911123456`), or throws INVALID_INPUT naming the field. */
export function parseE164(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.trim().startsWith('+')) {
    throw invalidInput(`${field} must be an international phone number starting with +`, { field });
  }
  const parsed = parsePhoneNumberFromString(value.trim());
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
    name: text(raw.name, 'officer.name', 2, 100),
    force: text(raw.force, 'officer.force', 2, 100),
  };
}

/** Validates a collar number (one to ten letters or digits), upper-casing it. */
export function parseCollarNumber(value: unknown, field: string): string {
  return identifier(value, field, COLLAR_NUMBER, 'one to ten letters or digits');
}

/** Validates the officer's stated reason for the encounter. */
export function parseReason(value: unknown): string {
  return text(value, 'reason', MIN_REASON_LENGTH, MAX_REASON_LENGTH);
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
  if (raw.description !== undefined) location.description = text(raw.description, 'location.description', 1, 200);
  if (Object.keys(location).length === 0) throw invalidInput('location needs coordinates or a description', { field: 'location' });
  return location;
}

/** Validates a flow name. */
export function parseFlow(value: unknown): Flow {
  if (!FLOWS.includes(value as Flow)) throw invalidInput(`flow must be one of ${FLOWS.join(', ')}`, { field: 'flow' });
  return value as Flow;
}

/** Validates a short printable string with length bounds, trimming it. */
export function text(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw invalidInput(`${field} must be text`, { field });
  const trimmed = value.trim();
  if (CONTROL_CHARACTERS.test(trimmed)) throw invalidInput(`${field} contains control characters`, { field });
  if (trimmed.length < min || trimmed.length > max) {
    throw invalidInput(`${field} must be ${min} to ${max} characters long`, { field, length: trimmed.length });
  }
  return trimmed;
}

function identifier(value: unknown, field: string, pattern: RegExp, description: string): string {
  if (typeof value !== 'string') throw invalidInput(`${field} must be text`, { field });
  const normalised = value.trim().toUpperCase();
  if (!pattern.test(normalised)) throw invalidInput(`${field} must be ${description}`, { field });
  return normalised;
}

function bounded(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidInput(`${field} must be a number from ${min} to ${max}`, { field });
  }
  return value;
}
