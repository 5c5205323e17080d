import { BridgeError, lookUpReference } from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { actorOf, withStore, writerFor, type CommandResult } from './audit-common.js';

const USAGE = 'vcb reference CODE --db FILE [--actor NAME] [--json]';

/** Help for `vcb reference`. */
export const REFERENCE_HELP = `Usage: ${USAGE}

What the ops console sees for a verification reference a citizen reads out: the officer, the
stated reason, the roster check, the call's state and when the reference expires. A reference
works once; a second lookup says already-used, and an old one expired. Every lookup is logged
with who made it (--actor, default cli:<user>). Exit 0 when found, 1 otherwise.`;

/** Runs `vcb reference`. */
export async function runReference(args: string[]): Promise<CommandResult> {
  const code = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
  const rest = code === undefined ? args : args.slice(1);
  const values = parseCommandArgs(rest, { db: { type: 'string' }, actor: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return { output: REFERENCE_HELP, exitCode: 0 };
  if (code === undefined) throw new BridgeError('INVALID_INPUT', `the reference is required (usage: ${USAGE})`);
  return withStore(requiredOption(values.db, 'db', USAGE), async (store) => {
    const lookup = await lookUpReference(store, writerFor(store), { reference: code, actor: actorOf(values.actor), nowMs: Date.now() });
    const exitCode = lookup.outcome === 'found' ? 0 : 1;
    if (values.json) return { output: JSON.stringify(lookup), exitCode };
    if (lookup.outcome !== 'found') {
      const why = { unknown: 'no verification has this reference', expired: `it expired at ${lookup.referenceExpiresAt}`, 'already-used': 'it was already looked up' }[lookup.outcome];
      return { output: `${lookup.reference}: ${lookup.outcome.toUpperCase()}: ${why}. Do not vouch for the officer on it.`, exitCode };
    }
    const officer = lookup.officer!;
    const lines = [
      `${lookup.reference}: FOUND (verification ${lookup.verificationId}, call ${lookup.state ?? 'unknown'}, expires ${lookup.referenceExpiresAt})`,
      `Officer  ${officer.name}, collar ${officer.collarNumber}, warrant card ${officer.warrantCardNumber}, ${officer.force}`,
      `Roster   ${lookup.officerCheck?.status ?? 'not-checked'}${lookup.officerCheck?.flagged ? ' (FLAGGED: check twice)' : ''}`,
      `Reason   ${lookup.reason}`,
    ];
    return { output: lines.join('\n'), exitCode };
  });
}
