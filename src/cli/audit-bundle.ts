import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BridgeError, verifyEvidenceBundle } from '../index.js';
import { verifierKeyArg, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit verify-bundle`. */
export const VERIFY_BUNDLE_USAGE = 'vcb audit verify-bundle FILE [--key VKEY] [--json]';

// Valid, but only under the key the bundle itself names: anyone can make such a bundle, so a script that
// checks only the exit status must not read it as 0.
const EXIT_UNANCHORED = 3;

/**
 * Runs `vcb audit verify-bundle`: checks a bundle offline. Exit 0 valid under the key given with `--key`,
 * 1 refused (the reason says why), 2 unusable arguments, 3 valid only under the bundle's own key (no `--key`).
 */
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
  const exitCode = !result.ok ? 1 : result.keySource === 'argument' ? 0 : EXIT_UNANCHORED;
  if (values.json) return { output: JSON.stringify(result), exitCode };
  if (!result.ok) {
    const at = result.entryIndex === undefined ? '' : ` (entry ${result.entryIndex})`;
    return { output: `INVALID: ${result.reason}${at}: ${result.detail}`, exitCode };
  }
  const anchored = result.keySource === 'argument';
  const lines = [
    `${anchored ? 'OK' : 'UNANCHORED'}: ${result.entries} entries of verification ${result.verificationId}, sealed at entry ${result.sealIndex}`,
    `proven against checkpoint ${result.checkpoint.origin} of ${result.checkpoint.size} entries, root ${result.checkpoint.root}`,
    anchored
      ? `signed by the key you gave, ${result.verifierKey}`
      : `the signature holds only under the bundle's own key, ${result.verifierKey}, which anyone can make: pass --key with the force's published verifier key`,
    ...result.disclosures.map((d) => `disclosed ${d.kind}: ${d.value}`),
  ];
  return { output: lines.join('\n'), exitCode };
}

function parseBundleArgs(args: string[]) {
  try {
    return parseArgs({ args, options: { key: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new BridgeError('INVALID_INPUT', `${(error as Error).message.split('\n')[0]} (usage: ${VERIFY_BUNDLE_USAGE})`, { cause: error });
  }
}
