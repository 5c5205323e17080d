import { generateSigningKey } from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { writeNewFile, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit keygen`. */
export const KEYGEN_USAGE = 'vcb audit keygen --name NAME --out PREFIX [--json]';

/** Runs `vcb audit keygen`: writes PREFIX.key (the secret, mode 0600) and PREFIX.pub, and prints the verifier key. */
export async function runKeygen(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(args, { name: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, KEYGEN_USAGE);
  if (values.help) return { output: `Usage: ${KEYGEN_USAGE}`, exitCode: 0 };
  const name = requiredOption(values.name, 'name', KEYGEN_USAGE);
  const prefix = requiredOption(values.out, 'out', KEYGEN_USAGE);
  const { signingKey, verifierKey } = generateSigningKey(name);
  writeNewFile(`${prefix}.key`, `${signingKey}\n`, 0o600);
  writeNewFile(`${prefix}.pub`, `${verifierKey}\n`, 0o644);
  if (values.json) return { output: JSON.stringify({ verifierKey, keyFile: `${prefix}.key`, verifierKeyFile: `${prefix}.pub` }), exitCode: 0 };
  return { output: `${verifierKey}\n(secret key in ${prefix}.key, mode 0600; publish the verifier key above, also in ${prefix}.pub)`, exitCode: 0 };
}
