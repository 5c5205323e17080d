import { openNote, parseVerifierKey, signNote, type NoteFailure, type NoteSigner, type NoteVerifier } from './audit/signed-note.js';
import { canonicalJson } from './audit/entry.js';
import { checkRooms } from './bridge-config.js';
import { isInstant } from './clock.js';
import { BridgeError, invalidInput } from './errors.js';
import { cleanText } from './text-hygiene.js';
import type { OpsRoom } from './types.js';

/** The first line of every published directory, so a note signed for something else never reads as one. */
export const ROOM_DIRECTORY_FORMAT = 'vcb-ops-room-directory/v1';

/** A force's published list of its ops rooms and their devices' handles, as a verified directory gives it. */
export interface RoomDirectory {
  /** The force that publishes it. */
  force: string;
  /** When it was issued (log timestamp form); an app may refuse one older than it trusts. */
  issuedAt: string;
  /** The rooms, each with its published number and device handles. */
  rooms: OpsRoom[];
}

/** What opening a directory found: the directory, or why it cannot be trusted. */
export type RoomDirectoryOpening = { ok: true; directory: RoomDirectory } | { ok: false; reason: NoteFailure | 'not-a-directory'; detail: string };

/**
 * Signs the force's directory as a C2SP signed note. Apps show a citizen only the handles from a
 * directory that verifies with the force's published key: an impostor can hand her a number, but
 * not one the force signed.
 */
export function publishRoomDirectory(directory: RoomDirectory, signer: NoteSigner): string {
  const force = cleanText(directory.force, 'force', { min: 1, max: 200 });
  if (!isInstant(directory.issuedAt)) throw invalidInput('issuedAt must be an ISO 8601 UTC instant', { field: 'issuedAt' });
  const rooms = asInput(() => checkRooms(directory.rooms, anyProvider));
  return signNote(`${ROOM_DIRECTORY_FORMAT}\n${force}\n${directory.issuedAt}\n${canonicalJson(rooms)}\n`, signer);
}

/** Verifies a published directory with the force's verifier key (text or parsed); never throws for a bad note. */
export function openRoomDirectory(note: string, verifier: NoteVerifier | string): RoomDirectoryOpening {
  let key: NoteVerifier;
  try {
    key = typeof verifier === 'string' ? parseVerifierKey(verifier) : verifier;
  } catch (error) {
    return { ok: false, reason: 'malformed', detail: `the verifier key cannot be read: ${(error as Error).message}` };
  }
  const opened = openNote(note, key);
  if (!opened.ok) return opened;
  const [format, force, issuedAt, json, rest] = opened.text.split('\n');
  if (format !== ROOM_DIRECTORY_FORMAT || !force || !issuedAt || !isInstant(issuedAt) || json === undefined || rest !== '') {
    return { ok: false, reason: 'not-a-directory', detail: `the signed text is not a ${ROOM_DIRECTORY_FORMAT} directory` };
  }
  try {
    return { ok: true, directory: { force, issuedAt, rooms: checkRooms(JSON.parse(json) as OpsRoom[], anyProvider) } };
  } catch (error) {
    return { ok: false, reason: 'not-a-directory', detail: `the signed rooms are not valid: ${(error as Error).message}` };
  }
}

// The directory names providers the publishing force uses; which adapters a reader has is its own affair.
const anyProvider = { has: (name: string) => /^[a-z][a-z0-9-]{0,31}$/.test(name) };

function asInput<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw BridgeError.isInstance(error) ? invalidInput(error.message, { field: 'rooms' }) : error;
  }
}
