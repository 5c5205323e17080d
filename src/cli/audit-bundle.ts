import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BridgeError, verifyEvidenceBundle } from '../index.js';
import { verifierKeyArg, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit verify-bundle`. */
export const VERIFY_BUNDLE_USAGE = 'vcb audit verify-bundle FILE [--key VKEY] [--json]';

/** Runs `vcb audit verify-bundle`: checks a bundle offline. Exit 0 valid, 1 refused (the reason says why), 2 unusable arguments. */
export async function runVerifyBundle(args: string[]): Promise<CommandResult> {
  const { values, positionals } = parseBundleArgs(args);
  if (values.help) return { output: `Usage: ${VERIFY_BUNDLE_USAGE}`, exitCode: 0 };
  if (positionals.length !== 1) throw new BridgeError('INVALID_INPUT', `name one bundle file (usage: ${VERIFY_BUNDLE_USAGE})`);
  const file = positionals[0]!;
  const verifierKey = values.key === undefined ? undefined : verifierKeyArg(values.key).verifierKey;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new BridgeError('NOT_FOUND', `cannot read ${file}`, { cause: error });
  }
  const result = verifyEvidenceBundle(bytes, verifierKey === undefined ? {} : { verifierKey });
  if (values.json) return { output: JSON.stringify(result), exitCode: result.ok ? 0 : 1 };
  if (!result.ok) {
    const at = result.entryIndex === undefined ? '' : ` (entry ${result.entryIndex})`;
    return { output: `INVALID: ${result.reason}${at}: ${result.detail}`, exitCode: 1 };
  }
  const lines = [
    `OK: ${result.entries} entries of verification ${result.verificationId}, sealed at entry ${result.sealIndex}`,
    `proven against checkpoint ${result.checkpoint.origin} of ${result.checkpoint.size} entries, root ${result.checkpoint.root}`,
    result.keySource === 'argument'
      ? `signed by the key you gave, ${result.verifierKey}`
      : `signed by ${result.verifierKey}, the key the bundle names: compare it with the force's published key, or pass --key`,
    ...result.disclosures.map((d) => `disclosed ${d.kind}: ${d.value}`),
  ];
  return { output: lines.join('\n'), exitCode: 0 };
}

function parseBundleArgs(args: string[]) {
  try {
    return parseArgs({ args, options: { key: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new BridgeError('INVALID_INPUT', `${(error as Error).message.split('\n')[0]} (usage: ${VERIFY_BUNDLE_USAGE})`, { cause: error });
  }
}
