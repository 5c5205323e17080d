#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { BridgeError } from '../index.js';
import { AUDIT_HELP, runAudit, type CommandResult } from './audit.js';
import { runDemo } from './demo.js';
import { runReference } from './reference.js';

const HELP = `Usage: vcb <command> [options]

Commands:
  demo                 run one SANDBOX verification end to end, offline (vcb demo --help)
  audit verify         check an evidence log has not been altered (vcb audit --help)
  audit show           print an evidence log, logging that it was read
  audit checkpoint     print (or sign) the log's latest signed checkpoint
  audit export         write one verification's evidence bundle, logging the export
  audit verify-bundle  check an evidence bundle offline
  audit keygen         make a checkpoint signing key
  audit erase          erase personal data whose retention ended, logging the erasure
  reference CODE       what the ops console sees for a reference; works once (vcb reference --help)

Options:
  -h, --help           show help (also after any command)
  --version            print the version

${AUDIT_HELP.split('\n').slice(2).join('\n')}`;

async function main(argv: string[]): Promise<CommandResult> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { output: HELP, exitCode: 0 };
  if (command === '--version') return { output: version(), exitCode: 0 };
  if (command === 'demo') return runDemo(rest);
  if (command === 'audit') return runAudit(rest);
  if (command === 'reference') return runReference(rest);
  throw new BridgeError('INVALID_INPUT', `unknown command "${command}" (try vcb --help)`);
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

main(process.argv.slice(2)).then(
  ({ output, exitCode }) => {
    if (output.length > 0) process.stdout.write(`${output}\n`);
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    // One line with the stable code; a stack trace helps nobody at a terminal.
    const code = BridgeError.isInstance(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`vcb: ${code}: ${message}\n`);
    process.exitCode = 2;
  },
);
