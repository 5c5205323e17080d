import { existsSync } from 'node:fs';
import {
  BridgeError,
  createPersonalDataHasher,
  exportEvidenceBundle,
  serializeBundle,
  type DisclosureRequest,
} from '../index.js';
import { parseCommandArgs, requiredOption } from './args.js';
import { actorOf, signingKeyArg, withStore, writeNewFile, writerFor, type CommandResult } from './audit-common.js';

/** Usage of `vcb audit export`. */
export const EXPORT_USAGE =
  'vcb audit export --db FILE --verification ID --out FILE [--to RECIPIENT] [--actor NAME] [--purpose TEXT] [--disclose phone=NUMBER] [--signing-key FILE] [--json]';

const UNSTATED = 'unstated';

/** The environment variable holding the deployment's personal-data key (base64), needed only to disclose. */
const PERSONAL_DATA_KEY_ENV = 'VCB_PERSONAL_DATA_KEY';

/** Runs `vcb audit export`: writes one verification's evidence bundle, after logging who exported it to whom. */
export async function runExport(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(
    args,
    {
      db: { type: 'string' },
      verification: { type: 'string' },
      out: { type: 'string' },
      to: { type: 'string' },
      actor: { type: 'string' },
      purpose: { type: 'string' },
      disclose: { type: 'string', multiple: true },
      'signing-key': { type: 'string' },
      json: { type: 'boolean' },
    },
    EXPORT_USAGE,
  );
  if (values.help) return { output: `Usage: ${EXPORT_USAGE}`, exitCode: 0 };
  const db = requiredOption(values.db, 'db', EXPORT_USAGE);
  const verificationId = requiredOption(values.verification, 'verification', EXPORT_USAGE);
  const out = requiredOption(values.out, 'out', EXPORT_USAGE);
  // Logged as stated; an export made without naming its recipient says so in the log, not nothing.
  const recipient = values.to ?? UNSTATED;
  // Checked before anything is logged, so a refused export leaves no record of one that never happened.
  if (existsSync(out)) throw new BridgeError('INVALID_INPUT', `${out} already exists`);
  const disclose = (values.disclose ?? []).map(parseDisclosure);
  return withStore(db, async (store) => {
    const bundle = await exportEvidenceBundle(store, writerFor(store), {
      verificationId,
      actor: actorOf(values.actor),
      recipient,
      ...(values.purpose === undefined ? {} : { purpose: values.purpose }),
      ...(disclose.length === 0 ? {} : disclosureKeys(values['signing-key'], disclose)),
    });
    writeNewFile(out, serializeBundle(bundle));
    const sealIndex = bundle.entries.at(-1)!.entry.index;
    const size = Number(bundle.checkpoint.split('\n')[1]);
    if (values.json) {
      return {
        output: JSON.stringify({ ok: true, out, verificationId, recipient, entries: bundle.entries.length, sealIndex, checkpoint: { origin: bundle.origin, size }, verifierKey: bundle.verifierKey, disclosed: disclose.map((d) => d.kind) }),
        exitCode: 0,
      };
    }
    const lines = [
      `Exported ${bundle.entries.length} entries of verification ${verificationId} (sealed at entry ${sealIndex}) to ${out}`,
      `proven against checkpoint ${bundle.origin} of ${size} entries, signed by ${bundle.verifierKey}`,
      disclose.length === 0 ? 'Personal data stays as keyed hashes.' : `Disclosed in clear: ${disclose.map((d) => d.kind).join(', ')}.`,
      ...(recipient === UNSTATED ? ['The log records the recipient as unstated: name it with --to next time.'] : []),
      `Check it anywhere: vcb audit verify-bundle ${out} --key '${bundle.verifierKey}'`,
    ];
    return { output: lines.join('\n'), exitCode: 0 };
  });
}

function parseDisclosure(text: string): DisclosureRequest {
  const [kind, ...rest] = text.split('=');
  if (kind !== 'phone' || rest.length === 0) throw new BridgeError('INVALID_INPUT', `--disclose takes phone=NUMBER (usage: ${EXPORT_USAGE})`);
  return { kind, value: rest.join('=') };
}

function disclosureKeys(signingKeyFile: string | undefined, disclose: DisclosureRequest[]) {
  const personalDataKey = process.env[PERSONAL_DATA_KEY_ENV];
  const signingKey = signingKeyArg(signingKeyFile);
  if (!personalDataKey || !signingKey) {
    throw new BridgeError('INVALID_CONFIG', `--disclose needs ${PERSONAL_DATA_KEY_ENV} and the checkpoint signing key (--signing-key FILE or VCB_CHECKPOINT_KEY)`);
  }
  return { disclose, personalData: createPersonalDataHasher(personalDataKey), signingKey };
}
