import { CALL_ADAPTER_SPECIFICATION_VERSION, type CallAdapter } from './adapter.js';
import { BridgeError } from './errors.js';
import { PROVIDER_IDS, type OpsRoom } from './types.js';
import { cleanText } from './text-hygiene.js';
import { parseE164 } from './validation.js';

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Provider names a bridge accepts: the known vocabulary plus every registered adapter and alias. */
export function knownProviderNames(adapters: readonly CallAdapter[]): Set<string> {
  return new Set<string>([...PROVIDER_IDS, ...adapters.flatMap((a) => [a.provider, ...(a.aliases ?? [])])]);
}

/** Checks adapters: a known contract version and no two claiming one name. */
export function checkAdapters(adapters: readonly CallAdapter[]): void {
  const seen = new Set<string>();
  for (const adapter of adapters) {
    if (adapter.specificationVersion !== CALL_ADAPTER_SPECIFICATION_VERSION) {
      throw new BridgeError(
        'UNSUPPORTED_SPECIFICATION',
        `adapter ${String(adapter.provider)} implements contract ${String(adapter.specificationVersion)}; this core speaks ${CALL_ADAPTER_SPECIFICATION_VERSION}`,
        { provider: adapter.provider },
      );
    }
    if (adapter.capabilities.lifecycle === 'polling' && typeof adapter.pollEvents !== 'function') {
      throw config(`adapter ${adapter.provider} declares polling but has no pollEvents`);
    }
    for (const name of [adapter.provider, ...(adapter.aliases ?? [])]) {
      if (seen.has(name)) throw config(`two adapters are registered as ${name}`);
      seen.add(name);
    }
  }
}

/** Validates and normalises the rooms: unique ids, one device each, E.164 numbers, known providers. */
export function checkRooms(rooms: readonly OpsRoom[], providers: Pick<ReadonlySet<string>, 'has'>): OpsRoom[] {
  const roomIds = new Set<string>();
  const deviceIds = new Set<string>();
  return rooms.map((room, i) => {
    const where = `rooms[${i}]`;
    if (typeof room !== 'object' || room === null) throw config(`${where} must be an object`);
    if (typeof room.id !== 'string' || !ID_PATTERN.test(room.id)) throw config(`${where}.id must be a lower-case id`);
    if (roomIds.has(room.id)) throw config(`room id ${room.id} is used twice`);
    roomIds.add(room.id);
    const device = room.device;
    if (typeof device !== 'object' || device === null || typeof device.id !== 'string' || !ID_PATTERN.test(device.id)) {
      throw config(`${where}.device needs a lower-case id`);
    }
    if (deviceIds.has(device.id)) throw config(`device ${device.id} is in two rooms; each room has its own device`);
    deviceIds.add(device.id);
    const handles: Record<string, string> = {};
    for (const [provider, handle] of Object.entries(device.handles ?? {})) {
      if (!providers.has(provider)) throw config(`${where}.device.handles names unknown provider ${provider}`);
      handles[provider] = asConfig(() => cleanText(handle, `${where}.device.handles.${provider}`, { min: 1, max: 256 }));
    }
    return {
      id: room.id,
      name: asConfig(() => cleanText(room.name, `${where}.name`, { min: 1, max: 100 })),
      publishedPhoneNumber: asConfig(() => parseE164(room.publishedPhoneNumber, `${where}.publishedPhoneNumber`)),
      device: { id: device.id, handles },
    };
  });
}

/** Checks the force's preference names known providers. */
export function checkPreference(preference: readonly string[], providers: Set<string>): string[] {
  for (const name of preference) {
    if (!providers.has(name)) throw config(`preference names unknown provider ${name}`);
  }
  return [...preference];
}

function config(message: string): BridgeError {
  return new BridgeError('INVALID_CONFIG', message);
}

function asConfig<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw BridgeError.isInstance(error) ? new BridgeError('INVALID_CONFIG', error.message, { cause: error }) : error;
  }
}
