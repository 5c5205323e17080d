import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { BridgeError, readAuditLog, verifyAuditLog, type BridgeStore, type LogWriter } from '../index.js';
import sqliteStore from '../stores/sqlite.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { formatEntry } from './format.js';

/** What a command prints and its exit status. */
export interface CommandResult {
  /** Lines for standard output. */
  output: string;
  /** Process exit status. */
  exitCode: number;
}

/** Help for `vcb audit`. */
export const AUDIT_HELP = `Usage: vcb audit <command> [options]

Commands:
  verify --db FILE [--json] [--actor NAME]
      Recompute every leaf and tree root of the evidence log. Exit 0 when intact,
      1 when an entry was altered, removed, inserted or reordered (the first bad index is named).
  show --db FILE [--verification ID] [--json] [--actor NAME] [--purpose TEXT]
      Print the log, or one verification's entries.

Both commands log that the log was read, and by whom (--actor, default cli:<user>).`;

const VERIFY_USAGE = 'vcb audit verify --db FILE [--json] [--actor NAME]';
const SHOW_USAGE = 'vcb audit show --db FILE [--verification ID] [--json] [--actor NAME] [--purpose TEXT]';

/** Runs `vcb audit <command>`. */
export async function runAudit(args: string[]): Promise<CommandResult> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') return { output: AUDIT_HELP, exitCode: 0 };
  if (command === 'verify') return auditVerify(rest);
  if (command === 'show') return auditShow(rest);
  throw new BridgeError('INVALID_INPUT', `unknown audit command "${command}" (try vcb audit --help)`);
}

async function auditVerify(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(args, { db: { type: 'string' }, json: { type: 'boolean' }, actor: { type: 'string' } }, VERIFY_USAGE);
  if (values.help) return { output: `Usage: ${VERIFY_USAGE}`, exitCode: 0 };
  return withStore(requiredOption(values.db, 'db', VERIFY_USAGE), async (store) => {
    const result = await verifyAuditLog(store, writerFor(store), { actor: actorOf(values.actor) });
    const exitCode = result.ok ? 0 : 1;
    if (values.json) {
      const json = result.ok
        ? { ok: true, entries: result.entries, root: result.root }
        : { ok: false, entries: result.entries, firstBadIndex: result.firstBadIndex, reason: result.reason, detail: result.detail };
      return { output: JSON.stringify(json), exitCode };
    }
    const output = result.ok
      ? `OK: ${result.entries} entries, root ${result.root}`
      : `AUDIT_TAMPERED: entry ${result.firstBadIndex} ${result.reason}: ${result.detail}`;
    return { output, exitCode };
  });
}

async function auditShow(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(
    args,
    {
      db: { type: 'string' },
      verification: { type: 'string' },
      json: { type: 'boolean' },
      actor: { type: 'string' },
      purpose: { type: 'string' },
    },
    SHOW_USAGE,
  );
  if (values.help) return { output: `Usage: ${SHOW_USAGE}`, exitCode: 0 };
  return withStore(requiredOption(values.db, 'db', SHOW_USAGE), async (store) => {
    const entries = await readAuditLog(store, writerFor(store), {
      actor: actorOf(values.actor),
      purpose: values.purpose ?? 'vcb audit show',
      ...(values.verification === undefined ? {} : { verificationId: values.verification }),
    });
    const output = values.json ? JSON.stringify(entries, null, 2) : entries.map(formatEntry).join('\n');
    return { output, exitCode: 0 };
  });
}

async function withStore(path: string, work: (store: BridgeStore) => Promise<CommandResult>): Promise<CommandResult> {
  // Opening a missing path would create an empty log and report it intact.
  if (!existsSync(path)) throw new BridgeError('NOT_FOUND', `no database at ${path}`);
  const store = sqliteStore({ filename: path });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function writerFor(store: BridgeStore): LogWriter {
  return (input) => store.append(input, Date.now());
}

function actorOf(value: string | undefined): string {
  if (value !== undefined) return value;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown-user';
  }
}
