import { BridgeError, readAuditLog, verifyAuditLog, type CheckpointComparison } from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { runVerifyBundle, VERIFY_BUNDLE_USAGE } from './audit-bundle.js';
import { CHECKPOINT_USAGE, compareStore, readSavedCheckpoint, runCheckpoint } from './audit-checkpoint.js';
import { actorOf, verifierKeyArg, withStore, writerFor, type CommandResult } from './audit-common.js';
import { ERASE_USAGE, runErase } from './audit-erase.js';
import { EXPORT_USAGE, runExport } from './audit-export.js';
import { KEYGEN_USAGE, runKeygen } from './audit-keys.js';
import { formatEntry } from './format.js';

export type { CommandResult } from './audit-common.js';

const VERIFY_USAGE = 'vcb audit verify --db FILE [--checkpoint FILE --key VKEY] [--json] [--actor NAME]';
const SHOW_USAGE = 'vcb audit show --db FILE [--verification ID] [--json] [--actor NAME] [--purpose TEXT]';

/** Help for `vcb audit`. */
export const AUDIT_HELP = `Usage: vcb audit <command> [options]

Commands:
  ${VERIFY_USAGE}
      Recompute every leaf and tree root of the evidence log. Exit 0 when intact,
      1 when an entry was altered, removed, inserted or reordered (the first bad index is named).
      With a checkpoint kept outside the database (and the key that signed it), also
      exit 1 when the log was truncated below it or its history rewritten since.
  ${SHOW_USAGE}
      Print the log, or one verification's entries.
  ${CHECKPOINT_USAGE}
      Print the latest signed checkpoint (a C2SP signed note); --out saves it to a new
      file to keep elsewhere; --sign signs a fresh one first with the log's key.
  ${EXPORT_USAGE}
      Write one verification's evidence bundle: its sealed entries, an inclusion proof
      for each, the signed checkpoint and the verifier key. Logged with who, to whom, why.
      Personal data stays as keyed hashes unless --disclose is given (which needs
      VCB_PERSONAL_DATA_KEY and the signing key).
  ${VERIFY_BUNDLE_USAGE}
      Check a bundle offline, with no database. Exit 0 valid, 1 refused with a reason:
      malformed, wrong-key, signature, origin, leaf-altered, inclusion, foreign-entry,
      order, incomplete, unsealed-entry, disclosure.
  ${KEYGEN_USAGE}
      Make a checkpoint signing key: PREFIX.key (secret, mode 0600) and PREFIX.pub.
  ${ERASE_USAGE}
      Erase personal data (the citizen's number) whose retention has ended; the log keeps
      only keyed hashes, so it still verifies. The erasure is logged: kinds and hashes, never values.

--key takes a verifier key (name+hash+base64key) or a file holding one. The signing key
comes from --signing-key FILE or the VCB_CHECKPOINT_KEY environment variable.
verify, show and export log that the log was read, and by whom (--actor, default cli:<user>).`;

/** Runs `vcb audit <command>`. */
export async function runAudit(args: string[]): Promise<CommandResult> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') return { output: AUDIT_HELP, exitCode: 0 };
  if (command === 'verify') return auditVerify(rest);
  if (command === 'show') return auditShow(rest);
  if (command === 'checkpoint') return runCheckpoint(rest);
  if (command === 'export') return runExport(rest);
  if (command === 'verify-bundle') return runVerifyBundle(rest);
  if (command === 'keygen') return runKeygen(rest);
  if (command === 'erase') return runErase(rest);
  throw new BridgeError('INVALID_INPUT', `unknown audit command "${command}" (try vcb audit --help)`);
}

async function auditVerify(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(
    args,
    { db: { type: 'string' }, json: { type: 'boolean' }, actor: { type: 'string' }, checkpoint: { type: 'string' }, key: { type: 'string' } },
    VERIFY_USAGE,
  );
  if (values.help) return { output: `Usage: ${VERIFY_USAGE}`, exitCode: 0 };
  const db = requiredOption(values.db, 'db', VERIFY_USAGE);
  if ((values.checkpoint === undefined) !== (values.key === undefined)) {
    throw new BridgeError('INVALID_INPUT', `--checkpoint and --key go together: the key checks the saved checkpoint (usage: ${VERIFY_USAGE})`);
  }
  const saved = values.checkpoint === undefined ? undefined : readSavedCheckpoint(values.checkpoint, verifierKeyArg(values.key!));
  return withStore(db, async (store) => {
    // Compared before this check is logged, so the entry it appends cannot hide a truncation.
    const comparison = saved && (await compareStore(store, saved));
    const result = await verifyAuditLog(store, writerFor(store), { actor: actorOf(values.actor) });
    if (!result.ok) {
      const json = { ok: false, entries: result.entries, firstBadIndex: result.firstBadIndex, reason: result.reason, detail: result.detail };
      return { output: values.json ? JSON.stringify(json) : `AUDIT_TAMPERED: entry ${result.firstBadIndex} ${result.reason}: ${result.detail}`, exitCode: 1 };
    }
    const against = saved && { size: saved.size, root: Buffer.from(saved.root).toString('hex') };
    if (comparison && !comparison.ok) {
      const json = { ok: false, entries: result.entries, reason: comparison.reason, detail: comparison.detail, checkpoint: against };
      return { output: values.json ? JSON.stringify(json) : `AUDIT_TAMPERED: ${comparison.reason}: ${comparison.detail}`, exitCode: 1 };
    }
    const json = { ok: true, entries: result.entries, root: result.root, ...(against ? { checkpoint: against } : {}) };
    return { output: values.json ? JSON.stringify(json) : okLine(result.entries, result.root, comparison), exitCode: 0 };
  });
}

function okLine(entries: number, root: string, comparison: CheckpointComparison | undefined): string {
  const line = `OK: ${entries} entries, root ${root}`;
  return comparison ? `${line}; consistent with the saved checkpoint` : line;
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
