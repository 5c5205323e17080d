import { appendFileSync } from 'node:fs';

/** Module resolve hook: passes every resolution through and appends its URL to the log file. */
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(process.env.VCB_IMPORT_LOG, `${result.url}\n`);
  return result;
}
