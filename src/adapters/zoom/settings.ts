import { BridgeError } from '../../index.js';

/** One required setting: its option value, the environment variable that stands in for it, and its option name. */
export type SettingSource = readonly [value: string | undefined, variable: string, option: string];

/** The setting from its option, else its environment variable, or INVALID_CONFIG naming both. */
export function requiredSetting(provider: string, [value, variable, option]: SettingSource): string {
  const resolved = value ?? process.env[variable];
  if (resolved === undefined || resolved.length === 0) {
    throw new BridgeError('INVALID_CONFIG', `${provider} needs ${option} (or the ${variable} environment variable)`, { provider });
  }
  return resolved;
}

/** Why the adapter is not configured, naming the first missing setting, or undefined when all are there. */
export function missingSetting(provider: string, sources: readonly SettingSource[]): string | undefined {
  for (const [value, variable, option] of sources) {
    if (!(value ?? process.env[variable])) return `${provider} is not configured: set ${option} or ${variable}`;
  }
  return undefined;
}
