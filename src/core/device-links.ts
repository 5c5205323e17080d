import type { CallAdapter } from './adapter.js';
import type { LogWriter } from './audit/access.js';
import { BridgeError, invalidInput, toBridgeError } from './errors.js';

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
  const adapter = context.adapterFor(provider);
  if (!adapter?.registerLinks) throw new BridgeError('NOT_FOUND', `no registered adapter takes links for provider ${provider}`, { provider });
  if (typeof request.actor !== 'string' || request.actor.trim().length === 0) throw invalidInput('registering links needs an actor', { field: 'actor' });
  const base = { source: 'operator' as const, provider: adapter.provider, actor: request.actor.trim() };
  try {
    const result = adapter.registerLinks(request.deviceId, request.links);
    await context.append({ ...base, type: 'device.links-registered', data: { deviceId: request.deviceId, ...result } });
    return result;
  } catch (error) {
    const failure = toBridgeError(error, 'INVALID_INPUT', 'the links were refused', adapter.provider);
    await context.append({ ...base, type: 'device.links-refused', data: { deviceId: request.deviceId, offered: request.links.length, error: failure.toSummary() } });
    throw failure;
  }
}
