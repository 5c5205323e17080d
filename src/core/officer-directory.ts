import { cleanText } from './text-hygiene.js';
import type { Officer } from './types.js';

/** What the force's duty roster says about one officer. */
export interface OfficerRecord {
  /** Collar number, upper case. */
  collarNumber: string;
  /** Warrant card number, upper case. */
  warrantCardNumber: string;
  /** Name on the warrant card. */
  name: string;
  /** A reference to the officer's photo in the force's own systems, for the supervisor to compare on camera. */
  photoRef?: string;
  /** Whether the roster has the officer on duty now. */
  onDuty: boolean;
}

/** The force's officer lookup, implemented by the force over its own HR or duty systems. */
export interface OfficerDirectory {
  /** The officer with this collar and warrant card number, or null when the force has no such officer. */
  lookup(officer: { collarNumber: string; warrantCardNumber: string }): Promise<OfficerRecord | null>;
}

/**
 * What the directory said about the officer who started a verification. Anything but `on-duty` (or
 * `not-checked`, when the force configured no directory) is flagged: an impostor's card will not
 * match the roster.
 */
export type OfficerCheckStatus = 'on-duty' | 'off-duty' | 'unknown' | 'name-mismatch' | 'directory-unavailable' | 'not-checked';

/** The result of checking an officer against the directory, as logged and shown to the supervisor. */
export interface OfficerCheck {
  /** The verdict. */
  status: OfficerCheckStatus;
  /** True when the roster does not vouch for the officer: the supervisor must look twice. */
  flagged: boolean;
  /** The roster's name, when the directory knows the officer. */
  rosterName?: string;
  /** The roster's photo reference, when it has one. */
  photoRef?: string;
}

/**
 * Looks the officer up. A failing directory, or a record holding text the log refuses, gives
 * `directory-unavailable` (flagged, never a pass) and its error goes to `onError`: the citizen still gets her call, the ops room learns the roster is down.
 */
export async function checkOfficer(
  directory: OfficerDirectory | undefined,
  officer: Officer,
  onError: (error: unknown) => void,
): Promise<OfficerCheck> {
  if (directory === undefined) return { status: 'not-checked', flagged: false };
  let record: OfficerRecord | null;
  try {
    const found = await directory.lookup({ collarNumber: officer.collarNumber, warrantCardNumber: officer.warrantCardNumber });
    record = found === null ? null : cleanRecord(found);
  } catch (error) {
    onError(error);
    return { status: 'directory-unavailable', flagged: true };
  }
  if (record === null) return { status: 'unknown', flagged: true };
  const known = { rosterName: record.name, ...(record.photoRef === undefined ? {} : { photoRef: record.photoRef }) };
  if (normaliseName(record.name) !== normaliseName(officer.name)) return { status: 'name-mismatch', flagged: true, ...known };
  return { status: record.onDuty ? 'on-duty' : 'off-duty', flagged: !record.onDuty, ...known };
}

// The roster's name and photo reference go into the log beside the officer's: the same rules hold for them.
function cleanRecord(record: OfficerRecord): OfficerRecord {
  const name = cleanText(record.name, 'officerDirectory.name', { min: 1, max: 200 });
  const photoRef = record.photoRef === undefined ? {} : { photoRef: cleanText(record.photoRef, 'officerDirectory.photoRef', { min: 1, max: 1000 }) };
  return { ...record, name, ...photoRef };
}

/** An in-memory directory for tests and the sandbox demo; identifiers are matched case-insensitively. */
export function inMemoryOfficerDirectory(records: readonly OfficerRecord[]): OfficerDirectory & { setOnDuty(collarNumber: string, onDuty: boolean): void } {
  const byKey = new Map(records.map((r) => [key(r.collarNumber, r.warrantCardNumber), { ...r }]));
  return {
    async lookup(officer) {
      const record = byKey.get(key(officer.collarNumber, officer.warrantCardNumber));
      return record ? { ...record } : null;
    },
    setOnDuty(collarNumber, onDuty) {
      for (const record of byKey.values()) if (record.collarNumber.toUpperCase() === collarNumber.toUpperCase()) record.onDuty = onDuty;
    },
  };
}

function key(collarNumber: string, warrantCardNumber: string): string {
  return `${collarNumber.toUpperCase()}\u0000${warrantCardNumber.toUpperCase()}`;
}

// Titles and spacing differ between what an officer types and the roster ("PC Sam Smith" vs "Sam Smith").
function normaliseName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\b(pc|wpc|ds|dc|sgt|ps|insp|di|ch insp|supt)\b\.?/g, '')
    .replace(/[^a-z]+/g, ' ')
    .trim();
}
