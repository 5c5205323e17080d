import { BridgeError, readWebhookSecrets, type WebhookSecrets } from '../../index.js';

/** One required setting: its option value, the environment variable that stands in for it, and its option name. */
export type SettingSource = readonly [value: string | undefined, variable: string, option: string];

/** A webhook secret setting: one secret or several, its environment variable (commas separate several) and its option name. */
export type SecretsSource = readonly [value: WebhookSecrets | undefined, variable: string, option: string];

/** The setting from its option, else its environment variable, or INVALID_CONFIG naming both. */
export function requiredSetting(provider: string, [value, variable, option]: SettingSource): string {
  const resolved = value ?? process.env[variable];
  if (resolved === undefined || resolved.length === 0) throw notConfigured(provider, option, variable);
  return resolved;
}

/** The secrets from their option, else their environment variable, newest first; INVALID_CONFIG when neither is set or the list is bad. */
export function requiredSecrets(provider: string, [value, variable, option]: SecretsSource): string[] {
  return readWebhookSecrets(value, variable, option, provider);
}

/** Why the adapter is not configured, naming the first missing setting, or undefined when all are there. */
export function missingSetting(provider: string, sources: readonly SettingSource[], secrets?: SecretsSource): string | undefined {
  for (const [value, variable, option] of secrets === undefined ? sources : [...sources, secrets]) {
    if (!(value ?? process.env[variable])) return `${provider} is not configured: set ${option} or ${variable}`;
  }
  if (secrets === undefined) return undefined;
  // Present, but perhaps an empty list or an empty secret.
  try {
    requiredSecrets(provider, secrets);
    return undefined;
  } catch (error) {
    return `${provider} is not configured: ${(error as BridgeError).message.replace(`${provider} `, '')}`;
  }
}

function notConfigured(provider: string, option: string, variable: string): BridgeError {
  return new BridgeError('INVALID_CONFIG', `${provider} needs ${option} (or the ${variable} environment variable)`, { provider });
}
