import Database from 'better-sqlite3';
import { BridgeError } from '../../index.js';
import { SCHEMA } from './schema.js';

// SQLite reports synchronous=FULL as 2.
const SYNCHRONOUS_FULL = 2;

/** Opens the file in WAL mode with synchronous=FULL and secure_delete, creating the schema; STORE_FAILED if it cannot. */
export function openDatabase(filename: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(filename);
  } catch (error) {
    throw new BridgeError('STORE_FAILED', `cannot open SQLite database ${filename}`, { cause: error });
  }
  db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  const journalMode = db.pragma('journal_mode = WAL', { simple: true });
  db.pragma('synchronous = FULL');
  // Erased personal data must not survive in freed pages of the file.
  db.pragma('secure_delete = ON');
  const synchronous = db.pragma('synchronous', { simple: true });
  // An in-memory database has no WAL; it is never shared and nothing of it survives the process anyway.
  const refused = journalMode !== 'wal' && filename !== ':memory:' ? `WAL (it reports ${String(journalMode)})` : synchronous !== SYNCHRONOUS_FULL ? `synchronous=FULL (it reports ${String(synchronous)})` : undefined;
  if (refused !== undefined) {
    db.close();
    throw new BridgeError('STORE_FAILED', `SQLite refused ${refused}`);
  }
  db.exec(SCHEMA);
  return db;
}

/** The BridgeError for a failed SQLite operation: DUPLICATE_EVENT for a repeated provider event, else STORE_FAILED. */
export function storeError(action: string, error: unknown): BridgeError {
  if (BridgeError.isInstance(error)) return error;
  // Only the log's unique index means a repeated event; a clash on a call's provider call id is a store failure.
  if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((error as Error).message).includes('audit_entries.')) {
    return new BridgeError('DUPLICATE_EVENT', 'that provider event is already logged', { cause: error });
  }
  return new BridgeError('STORE_FAILED', `sqlite store could not ${action}`, { cause: error });
}

/** Runs one SQLite operation, turning whatever it throws into the BridgeError {@link storeError} gives. */
export function guard<T>(action: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw storeError(action, error);
  }
}
