import { decodeBase64, encodeBase64 } from './base64.js';
import { HASH_SIZE } from './merkle.js';
import { openNote, signNote, type NoteFailure, type NoteSigner, type NoteVerifier } from './signed-note.js';

/** A tree head as a C2SP tlog-checkpoint states it: which log, how many entries, and their root. */
export interface Checkpoint {
  /** The log's identity, conventionally its key name (a schema-less URL). */
  origin: string;
  /** Number of entries covered: entries 0 to size - 1. */
  size: number;
  /** The RFC 9162 root of those entries. */
  root: Uint8Array;
}

/** The outcome of opening a signed checkpoint with a trusted key. */
export type CheckpointOpening =
  | { ok: true; checkpoint: Checkpoint }
  | { ok: false; reason: NoteFailure | 'checkpoint'; detail: string };

const SIZE = /^(0|[1-9][0-9]*)$/;

/** The checkpoint's note text: origin, decimal size and base64 root, one per line, with no extension lines. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${encodeBase64(checkpoint.root)}\n`;
}

/**
 * Reads checkpoint note text strictly: at least three non-empty lines, a size with no leading zeroes
 * that JavaScript can count exactly, and a root of exactly 32 bytes. Extension lines are allowed and
 * ignored, as the spec says. Returns undefined for anything else.
 */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  if (typeof text !== 'string' || !text.endsWith('\n')) return undefined;
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line.length === 0)) return undefined;
  const [origin, sizeText, rootText] = lines as [string, string, string];
  const size = SIZE.test(sizeText) ? Number(sizeText) : Number.NaN;
  const root = decodeBase64(rootText);
  if (!Number.isSafeInteger(size) || !root || root.length !== HASH_SIZE) return undefined;
  return { origin, size, root };
}

/** Signs a checkpoint as a C2SP signed note. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), signer);
}

/** Opens a signed checkpoint with a trusted key and reads its body; never throws. */
export function openCheckpoint(note: string, verifier: NoteVerifier): CheckpointOpening {
  const opened = openNote(note, verifier);
  if (!opened.ok) return opened;
  const checkpoint = parseCheckpoint(opened.text);
  if (!checkpoint) return { ok: false, reason: 'checkpoint', detail: 'the signed text is not a checkpoint (origin, size, base64 root)' };
  return { ok: true, checkpoint };
}
