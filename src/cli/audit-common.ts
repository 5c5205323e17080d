import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { BridgeError, loadSigningKey, parseVerifierKey, type BridgeStore, type CheckpointSigningKey, type LogWriter, type NoteVerifier } from '../index.js';
import sqliteStore from '../stores/sqlite.js';

/** What a command prints and its exit status. */
export interface CommandResult {
  /** Lines for standard output. */
  output: string;
  /** Process exit status. */
  exitCode: number;
}

/** The environment variable the CLI reads a checkpoint signing key from when no file is given. */
export const SIGNING_KEY_ENV = 'VCB_CHECKPOINT_KEY';

/** Opens an existing SQLite log for one command and closes it afterwards. */
export async function withStore(path: string, work: (store: BridgeStore) => Promise<CommandResult>): Promise<CommandResult> {
  // Opening a missing path would create an empty log and report it intact.
  if (!existsSync(path)) throw new BridgeError('NOT_FOUND', `no database at ${path}`);
  const store = sqliteStore({ filename: path });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Appends as the CLI: the wall clock, no sandbox label. */
export function writerFor(store: BridgeStore): LogWriter {
  return (input) => store.append(input, Date.now());
}

/** The named actor, or `cli:<user>`. */
export function actorOf(value: string | undefined): string {
  if (value !== undefined) return value;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown-user';
  }
}

/** A `--key` value: verifier-key text, or a file holding it (as `vcb audit keygen` writes). INVALID_INPUT otherwise. */
export function verifierKeyArg(value: string): NoteVerifier {
  const text = existsSync(value) ? readFileSync(value, 'utf8').trim() : value;
  return parseVerifierKey(text);
}

/** The signing key from `--signing-key FILE`, else from the environment; undefined when neither is set. */
export function signingKeyArg(file: string | undefined): CheckpointSigningKey | undefined {
  if (file !== undefined) return loadSigningKey({ file });
  return process.env[SIGNING_KEY_ENV] ? loadSigningKey({ env: SIGNING_KEY_ENV }) : undefined;
}

/** Writes a new file, never over an existing one: evidence and keys are not silently replaced. */
export function writeNewFile(path: string, content: string, mode = 0o600): void {
  try {
    writeFileSync(path, content, { flag: 'wx', mode });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new BridgeError(code === 'EEXIST' ? 'INVALID_INPUT' : 'NOT_FOUND', code === 'EEXIST' ? `${path} already exists` : `cannot write ${path}`, { cause: error });
  }
}
