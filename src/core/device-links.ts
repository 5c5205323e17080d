import type { CallAdapter } from './adapter.js';
import type { LogWriter } from './audit/access.js';
import { BridgeError, invalidInput, toBridgeError } from './errors.js';
import { parseIdentifier } from './validation.js';

/** A batch of links an operator made on a device, for a link provider (FaceTime). */
export interface LinkRegistration {
  /** The device the links were made on. */
  deviceId: string;
  /** The links themselves; never logged. */
  links: readonly string[];
  /** Who registers them, for the log. */
  actor: string;
}

/**
 * Hands a link provider a batch of links, logging who registered how many, or why the batch was
 * refused (then rethrown). @internal Reached through `bridge.registerLinks`.
 */
export async function registerLinks(
  provider: string,
  request: LinkRegistration,
  context: { adapterFor(provider: string): CallAdapter | undefined; append: LogWriter },
): Promise<{ added: number; remaining: number }> {
  const name = parseIdentifier(provider, 'provider', 64);
  const adapter = context.adapterFor(name);
  if (!adapter?.registerLinks) throw new BridgeError('NOT_FOUND', `no registered adapter takes links for provider ${name}`, { provider: name });
  const { deviceId, links, actor } = parseRegistration(request);
  const base = { source: 'operator' as const, provider: adapter.provider, actor };
  try {
    const result = adapter.registerLinks(deviceId, links);
    await context.append({ ...base, type: 'device.links-registered', data: { deviceId, ...result } });
    return result;
  } catch (error) {
    const failure = toBridgeError(error, 'INVALID_INPUT', 'the links were refused', adapter.provider);
    await context.append({ ...base, type: 'device.links-refused', data: { deviceId, offered: links.length, error: failure.toSummary() } });
    throw failure;
  }
}

// Only the shape is checked here: whether each link is one the provider takes is the adapter's to say, and logged.
function parseRegistration(request: unknown): LinkRegistration {
  if (typeof request !== 'object' || request === null) throw invalidInput('a link registration is required', { field: 'request' });
  const raw = request as Record<string, unknown>;
  const actor = parseIdentifier(raw.actor, 'actor');
  const deviceId = parseIdentifier(raw.deviceId, 'deviceId', 64);
  if (!Array.isArray(raw.links) || !raw.links.every((link) => typeof link === 'string')) {
    throw invalidInput('links must be a list of links', { field: 'links' });
  }
  return { deviceId, links: [...(raw.links as string[])], actor };
}
