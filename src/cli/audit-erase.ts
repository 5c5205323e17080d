import { eraseExpiredPersonalData } from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { actorOf, withStore, writerFor, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit erase`. */
export const ERASE_USAGE = 'vcb audit erase --db FILE [--actor NAME] [--json]';

/** Runs `vcb audit erase`: erases personal data whose retention ended, and logs the erasure. */
export async function runErase(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(args, { db: { type: 'string' }, actor: { type: 'string' }, json: { type: 'boolean' } }, ERASE_USAGE);
  if (values.help) return { output: `Usage: ${ERASE_USAGE}`, exitCode: 0 };
  return withStore(requiredOption(values.db, 'db', ERASE_USAGE), async (store) => {
    const erased = await eraseExpiredPersonalData(store, writerFor(store), { actor: actorOf(values.actor), nowMs: Date.now() });
    const output = values.json ? JSON.stringify({ erased }) : `Erased ${erased} personal-data value(s) whose retention had ended${erased > 0 ? '; the erasure is logged' : ''}.`;
    return { output, exitCode: 0 };
  });
}
