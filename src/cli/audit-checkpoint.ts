import { readFileSync } from 'node:fs';
import {
  BridgeError,
  compareWithCheckpoint,
  createCheckpointSigner,
  headProver,
  latestCheckpoint,
  openCheckpoint,
  parseVerifierKey,
  toHex,
  type BridgeStore,
  type Checkpoint,
  type CheckpointComparison,
  type LoggedCheckpoint,
  type NoteFailure,
  type NoteVerifier,
} from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { SIGNING_KEY_ENV, signingKeyArg, withStore, writeNewFile, writerFor, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit checkpoint`. */
export const CHECKPOINT_USAGE = 'vcb audit checkpoint --db FILE [--out FILE] [--json] [--sign [--signing-key FILE]]';

/** Runs `vcb audit checkpoint`: prints (or signs, then prints) the log's latest signed checkpoint. */
export async function runCheckpoint(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(
    args,
    { db: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, sign: { type: 'boolean' }, 'signing-key': { type: 'string' } },
    CHECKPOINT_USAGE,
  );
  if (values.help) return { output: `Usage: ${CHECKPOINT_USAGE}`, exitCode: 0 };
  if (values['signing-key'] !== undefined && !values.sign) throw new BridgeError('INVALID_INPUT', `--signing-key goes with --sign (usage: ${CHECKPOINT_USAGE})`);
  return withStore(requiredOption(values.db, 'db', CHECKPOINT_USAGE), async (store) => {
    const checkpoint = values.sign ? await signNow(store, values['signing-key']) : await latestOpened(store);
    if (values.out !== undefined) writeNewFile(values.out, checkpoint.note, 0o644);
    const output = values.json
      ? JSON.stringify({
          origin: checkpoint.origin,
          size: checkpoint.size,
          root: toHex(checkpoint.root),
          entryIndex: checkpoint.entryIndex,
          at: checkpoint.at,
          verifierKey: checkpoint.verifierKey,
          note: checkpoint.note,
        })
      : checkpoint.note.trimEnd();
    return { output, exitCode: 0 };
  });
}

/** A checkpoint kept outside the database, opened with the key the user trusts. */
export type SavedCheckpoint = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: NoteFailure; detail: string };

/**
 * Reads a checkpoint kept outside the database and checks its signature with the trusted key. One that
 * does not open is a finding about the evidence (reason `malformed`, `wrong-key` or `signature`), not a
 * usage error; only an unreadable file throws (NOT_FOUND).
 */
export function readSavedCheckpoint(file: string, verifier: NoteVerifier): SavedCheckpoint {
  let note: string;
  try {
    note = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BridgeError('NOT_FOUND', `cannot read the checkpoint file ${file}`, { cause: error });
  }
  const opened = openCheckpoint(note, verifier);
  if (opened.ok) return opened;
  return { ok: false, reason: opened.reason === 'checkpoint' ? 'malformed' : opened.reason, detail: `the checkpoint in ${file} does not open with that key: ${opened.detail}` };
}

/**
 * How the store's tree compares with a saved checkpoint; undefined when the store's own hashes are
 * already broken, which the full recompute then names entry by entry.
 */
export async function compareStore(store: BridgeStore, checkpoint: Checkpoint): Promise<CheckpointComparison | undefined> {
  try {
    return await compareWithCheckpoint(await headProver(store), checkpoint);
  } catch (error) {
    if (BridgeError.hasCode(error, 'AUDIT_TAMPERED')) return undefined;
    throw error;
  }
}

async function signNow(store: BridgeStore, file: string | undefined): Promise<LoggedCheckpoint> {
  const key = signingKeyArg(file);
  if (!key) throw new BridgeError('INVALID_CONFIG', `--sign needs --signing-key FILE or ${SIGNING_KEY_ENV}`);
  return createCheckpointSigner({ key }).sign(store, writerFor(store));
}

async function latestOpened(store: BridgeStore): Promise<LoggedCheckpoint> {
  const latest = await latestCheckpoint(store);
  if (!latest) throw new BridgeError('NOT_FOUND', 'the log holds no signed checkpoint yet');
  const opened = openCheckpoint(latest.note, parseVerifierKey(latest.verifierKey));
  if (!opened.ok) throw new BridgeError('AUDIT_TAMPERED', `the checkpoint at entry ${latest.entryIndex} does not open with its own key: ${opened.detail}`);
  return latest;
}
