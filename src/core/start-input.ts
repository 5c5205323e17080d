import { invalidInput } from './errors.js';
import type { PersonalDataHasher } from './personal-data.js';
import { capabilitiesFromUserAgent } from './user-agent.js';
import type { CallerCapabilities, EncounterLocation, Flow, Officer, Platform } from './types.js';
import { parseE164, parseFlow, parseIdentifier, parseLocation, parseOfficer, parseReason } from './validation.js';

/** What a police app passes to start a verification. */
export interface StartVerificationInput {
  /** The officer being verified. */
  officer: Officer;
  /** The reason he gives for approaching. */
  reason: string;
  /** Where it happens. */
  location?: EncounterLocation;
  /** Who dials whom. */
  flow: Flow;
  /** What the citizen's phone can do; in `callback` also her phone number (stored only as a keyed hash). */
  citizen?: CallerInput & { phoneNumber?: string };
  /** What the officer's phone can do, for the `officer-device` flow. @default { browser: true } */
  officerDevice?: CallerInput;
  /** Only these rooms, in this order. @default every room */
  roomIds?: readonly string[];
  /** Who is asking, for the log. @default `officer:<collar number>` */
  actor?: string;
}

/**
 * What the app knows of a phone: explicit capabilities, or the User-Agent of the page she opened, from
 * which the platform and certain apps are inferred. Explicit fields win; the User-Agent is not logged.
 */
export type CallerInput = CallerCapabilities & { userAgent?: string };

/** A validated start request. */
export interface ParsedStart {
  /** The officer, identifiers upper-cased. */
  officer: Officer;
  /** The stated reason, NFC-normalised and trimmed. */
  reason: string;
  /** Where, if given. */
  location?: EncounterLocation;
  /** Who dials whom. */
  flow: Flow;
  /** What the other side can use: the citizen, or the officer in `officer-device`. */
  caller: CallerCapabilities;
  /** True when the platform or apps were inferred from a User-Agent rather than given. */
  callerInferred: boolean;
  /** Keyed hash of the citizen's number: the only form of it that is logged. */
  citizenPhoneNumberHash?: string;
  /** Her number itself, held in memory for the ops device to call back and never logged. */
  citizenPhoneNumber?: string;
  /** Rooms to consider, in order. */
  roomIds?: string[];
  /** Who asked, for the log. */
  actor: string;
}

const PLATFORMS: readonly Platform[] = ['ios', 'android', 'desktop'];

/** Validates a start request; personal data is hashed for the log, and kept in clear only where a call needs it. */
export function parseStartInput(
  input: StartVerificationInput,
  providers: ReadonlySet<string>,
  personalData: PersonalDataHasher,
): ParsedStart {
  if (typeof input !== 'object' || input === null) throw invalidInput('a verification request is required');
  const officer = parseOfficer(input.officer);
  const flow = parseFlow(input.flow);
  const citizen = input.citizen ?? {};
  if (typeof citizen !== 'object' || citizen === null) throw invalidInput('citizen must be an object', { field: 'citizen' });
  const callerField = flow === 'officer-device' ? 'officerDevice' : 'citizen';
  const { caller, inferred } = parseCaller(flow === 'officer-device' ? (input.officerDevice ?? {}) : citizen, callerField, providers);
  const parsed: ParsedStart = {
    officer,
    reason: parseReason(input.reason),
    flow,
    caller,
    callerInferred: inferred,
    actor: input.actor === undefined ? `officer:${officer.collarNumber}` : parseIdentifier(input.actor, 'actor'),
  };
  const location = parseLocation(input.location);
  if (location) parsed.location = location;
  if (flow === 'callback' && citizen.phoneNumber === undefined) {
    throw invalidInput('the callback flow needs the citizen phone number to call back', { field: 'citizen.phoneNumber' });
  }
  if (citizen.phoneNumber !== undefined) {
    parsed.citizenPhoneNumber = parseE164(citizen.phoneNumber, 'citizen.phoneNumber');
    parsed.citizenPhoneNumberHash = personalData.hash('phone', parsed.citizenPhoneNumber);
  }
  if (input.roomIds !== undefined) parsed.roomIds = parseRoomIds(input.roomIds);
  return parsed;
}

function parseRoomIds(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidInput('roomIds must be a list of room ids', { field: 'roomIds' });
  return value.map((id, i) => parseIdentifier(id, `roomIds[${i}]`, 64));
}

function parseCaller(value: CallerInput, field: string, providers: ReadonlySet<string>): { caller: CallerCapabilities; inferred: boolean } {
  if (typeof value !== 'object' || value === null) throw invalidInput(`${field} capabilities must be an object`, { field });
  const { userAgent, ...given } = value;
  if (userAgent !== undefined && (typeof userAgent !== 'string' || userAgent.length > 1024)) {
    throw invalidInput('userAgent must be the text of a User-Agent header', { field: `${field}.userAgent` });
  }
  const explicit = parseCapabilities(given, field, providers);
  const inferred = userAgent === undefined ? undefined : capabilitiesFromUserAgent(userAgent);
  if (inferred === undefined) return { caller: explicit, inferred: false };
  const apps = [...new Set([...(inferred.apps ?? []), ...(explicit.apps ?? [])])].filter((app) => providers.has(app));
  return { caller: { ...inferred, apps, ...withoutUndefined({ platform: explicit.platform, browser: explicit.browser }) }, inferred: true };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function parseCapabilities(value: CallerCapabilities, field: string, providers: ReadonlySet<string>): CallerCapabilities {
  const capabilities: CallerCapabilities = {};
  if (value.platform !== undefined) {
    if (!PLATFORMS.includes(value.platform)) throw invalidInput(`platform must be one of ${PLATFORMS.join(', ')}`, { field: `${field}.platform` });
    capabilities.platform = value.platform;
  }
  if (value.apps !== undefined) {
    if (!Array.isArray(value.apps)) throw invalidInput('apps must be a list of provider ids', { field: `${field}.apps` });
    value.apps.forEach((app: unknown, i) => {
      // Only names of registered providers pass, so nothing else of the app's text reaches the log here.
      if (typeof app !== 'string' || !providers.has(app)) throw invalidInput(`apps[${i}] is not a known provider`, { field: `${field}.apps` });
    });
    capabilities.apps = [...value.apps];
  }
  if (value.browser !== undefined) {
    if (typeof value.browser !== 'boolean') throw invalidInput('browser must be true or false', { field: `${field}.browser` });
    capabilities.browser = value.browser;
  }
  return capabilities;
}
