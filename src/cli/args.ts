import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BridgeError } from '../index.js';

/** Options as node:util's parseArgs describes them. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments strictly: an unknown option or a stray argument is INVALID_INPUT. */
export function parseCommandArgs<T extends OptionSpec>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
      .values;
  } catch (error) {
    throw new BridgeError('INVALID_INPUT', `${(error as Error).message.split('\n')[0]} (usage: ${usage})`, { cause: error });
  }
}

/** The value of a required string option, or INVALID_INPUT naming it. */
export function requiredOption(value: unknown, name: string, usage: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new BridgeError('INVALID_INPUT', `--${name} is required (usage: ${usage})`);
  return value;
}
