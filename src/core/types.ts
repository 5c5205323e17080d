import type { OfficerCheck } from './officer-directory.js';

/** Who dials whom: the officer's phone, the citizen's phone, or the ops device calling her back. */
export type Flow = 'officer-device' | 'citizen-device' | 'callback';

/** The three flows, in the order the design lists them. */
export const FLOWS: readonly Flow[] = ['officer-device', 'citizen-device', 'callback'];

/** The kind of phone or computer the other side of the call is on. */
export type Platform = 'ios' | 'android' | 'desktop';

/** The officer asking to be verified. */
export interface Officer {
  /** Collar (shoulder) number, e.g. `4721AB`. */
  collarNumber: string;
  /** Warrant card number. */
  warrantCardNumber: string;
  /** Name as on the warrant card. */
  name: string;
  /** The force the officer serves, e.g. `Metropolitan Police Service`. */
  force: string;
}

/** Where the encounter happens: coordinates, a description, or both. */
export interface EncounterLocation {
  /** WGS 84 latitude in degrees. */
  latitude?: number;
  /** WGS 84 longitude in degrees. */
  longitude?: number;
  /** Radius of uncertainty in metres. */
  accuracyMetres?: number;
  /** A place a person would recognise, e.g. `Bus stop outside 12 High St`. */
  description?: string;
}

/** One encounter to verify: who is asking, why, where, and how the call is made. */
export interface Verification {
  /** Opaque unique id (`vrf_…`). */
  id: string;
  /** Short human reference the supervisor reads back, e.g. `K7Q-4MP`; single-use. */
  reference: string;
  /** When the reference stops being accepted (log timestamp form). */
  referenceExpiresAt: string;
  /** The officer being verified. */
  officer: Officer;
  /** The reason the officer states for approaching. */
  reason: string;
  /** Where it happens, if known. */
  location?: EncounterLocation;
  /** Who dials whom. */
  flow: Flow;
  /** When the verification was created (log timestamp form). */
  createdAt: string;
  /** What the force's officer directory said about the officer; flagged results need the supervisor's attention. */
  officerCheck: OfficerCheck;
}

/** The one mobile device in an ops room, with its handle on each provider it has an account on. */
export interface OpsDevice {
  /** Stable id of the device, unique across rooms. */
  id: string;
  /** Provider id → the device's handle there (user id, phone number, Apple ID, …). */
  handles: Readonly<Record<string, string>>;
}

/** An operations room: exactly one device and a published phone number. */
export interface OpsRoom {
  /** Stable id, e.g. `met-lambeth`. */
  id: string;
  /** Name shown to the supervisor and the citizen. */
  name: string;
  /** The room's published number in E.164, the fallback when no video route fits. */
  publishedPhoneNumber: string;
  /** The room's one device. */
  device: OpsDevice;
}

/** What the other side of the call (citizen, or officer in `officer-device`) can use. */
export interface CallerCapabilities {
  /** Her platform, when known; unknown means any platform is assumed possible. */
  platform?: Platform;
  /** Provider ids of the apps installed and signed in. */
  apps?: readonly string[];
  /** Whether a modern browser is available for browser-only providers. @default true */
  browser?: boolean;
}

/** Provider ids the SDK knows, including the old names the router accepts as aliases. */
export const PROVIDER_IDS = [
  'facetime',
  'whatsapp',
  'teams',
  'skype',
  'zoom',
  'google-meet',
  'duo',
  'daily',
  'agora',
] as const;
