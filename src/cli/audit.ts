import { BridgeError, readAuditLog, toHex, verifyAuditLog, type AuditVerification, type CheckpointComparison } from '../index.js';
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
      Recompute every leaf and tree root of the evidence log and hold it to every checkpoint
      it signed. Exit 0 when intact; 1 when an entry was altered, removed, inserted or
      reordered, or a logged checkpoint contradicts the log (checkpoint-root, -signature,
      -malformed); 2 when the arguments are unusable. With a checkpoint kept
      outside the database and the key you trust, also exit 1 when it does not open with
      that key (malformed, wrong-key, signature), or the log was truncated below it or its
      history rewritten since (truncated, inconsistent).
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
      Check a bundle offline, with no database. Exit 0 valid under the --key you trust;
      3 valid only under the bundle's own key (no --key: anyone can make such a bundle);
      1 refused with a reason: malformed, wrong-key, signature, origin, leaf-altered,
      inclusion, foreign-entry, order, incomplete, unsealed-entry, disclosure; 2 unusable arguments.
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
    const comparison = saved?.ok ? await compareStore(store, saved.checkpoint) : undefined;
    const result = await verifyAuditLog(store, writerFor(store), { actor: actorOf(values.actor) });
    // Every finding about the evidence, the saved checkpoint's included, is exit 1; only bad arguments are 2.
    const tampered = (found: { reason: string; detail: string } & Record<string, unknown>, at = ''): CommandResult => ({
      output: values.json ? JSON.stringify({ ok: false, entries: result.entries, ...found }) : `AUDIT_TAMPERED: ${at}${found.reason}: ${found.detail}`,
      exitCode: 1,
    });
    if (!result.ok) {
      const { firstBadIndex, reason, detail, checkpointIndex } = result;
      return tampered({ firstBadIndex, reason, detail, ...(checkpointIndex === undefined ? {} : { checkpointIndex }) }, `entry ${firstBadIndex} `);
    }
    if (saved && !saved.ok) return tampered({ reason: saved.reason, detail: saved.detail, checkpoint: { file: values.checkpoint } });
    const against = saved?.ok ? { size: saved.checkpoint.size, root: toHex(saved.checkpoint.root) } : undefined;
    if (comparison && !comparison.ok) return tampered({ reason: comparison.reason, detail: comparison.detail, checkpoint: against });
    const json = { ok: true, entries: result.entries, root: result.root, checkpoints: result.checkpoints, ...(against ? { checkpoint: against } : {}) };
    return { output: values.json ? JSON.stringify(json) : okLine(result, comparison), exitCode: 0 };
  });
}

function okLine(result: Extract<AuditVerification, { ok: true }>, comparison: CheckpointComparison | undefined): string {
  const line = `OK: ${result.entries} entries, root ${result.root}; ${checkpointsLine(result.checkpoints?.count ?? 0, result.checkpoints?.verifierKeys ?? [])}`;
  return comparison ? `${line}; consistent with the saved checkpoint` : line;
}

// The keys are named because a forger who re-signed every checkpoint with a key of their own passes
// this check: only comparing the keys with the force's published one (or --checkpoint --key) shows it.
function checkpointsLine(count: number, keys: string[]): string {
  if (count === 0) return 'no signed checkpoint in the log';
  const by = `(signed by ${keys.join(', ')})`;
  return count === 1 ? `the signed checkpoint in the log agrees ${by}` : `all ${count} signed checkpoints in the log agree ${by}`;
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
