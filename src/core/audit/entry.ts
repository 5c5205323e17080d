import canonicalize from 'canonicalize';
import { clockSkewMs } from '../provider-time.js';
import { isInstant } from '../clock.js';
import { invalidInput } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';

/** Who vouches for an entry: the SDK itself, a provider's verified event, or a named operator. */
export type EventSource = 'sdk' | 'provider' | 'operator';

/** The sources, for validation. */
export const EVENT_SOURCES: readonly EventSource[] = ['sdk', 'provider', 'operator'];

/** What a caller hands the store to append; the store assigns `index` and `at`. */
export interface AuditEntryInput {
  /** The verification the entry concerns; absent for log-wide events such as reads. */
  verificationId?: string;
  /** Dotted event type, e.g. `participant.joined`. */
  type: string;
  /** Who vouches for the entry. */
  source: EventSource;
  /** The provider concerned. */
  provider?: string;
  /** The person or component that acted, e.g. a supervisor's collar number. */
  actor?: string;
  /** When the provider says it happened, already normalised to the log's timestamp form. */
  providerAt?: string;
  /** The provider's unique id for the event; the log holds each (provider, id) once. */
  providerEventId?: string;
  /** Event details; never secrets, and personal data only as keyed hashes. */
  data: JsonObject;
}

/** One entry of the evidence log, exactly as hashed into the Merkle tree. */
export interface AuditEntry extends AuditEntryInput {
  /** Position in the log, from 0; part of the leaf, so entries cannot be silently reordered. */
  index: number;
  /** When the bridge recorded it: ISO 8601 UTC with milliseconds, never earlier than the entry before. */
  at: string;
  /** `at` minus `providerAt` in milliseconds, kept so clock disagreement is visible in the evidence. */
  skewMs?: number;
}

/** Completes an input into the entry stored at `index` and `at`, validating it on the way. */
export function sealEntry(input: AuditEntryInput, index: number, at: string): AuditEntry {
  assertEntryInput(input);
  const entry: AuditEntry = { index, at, type: input.type, source: input.source, data: input.data };
  if (input.verificationId !== undefined) entry.verificationId = input.verificationId;
  if (input.provider !== undefined) entry.provider = input.provider;
  if (input.actor !== undefined) entry.actor = input.actor;
  if (input.providerEventId !== undefined) entry.providerEventId = input.providerEventId;
  if (input.providerAt !== undefined) {
    entry.providerAt = input.providerAt;
    entry.skewMs = clockSkewMs(at, input.providerAt);
  }
  return entry;
}

/** The leaf bytes of an entry: its RFC 8785 canonical JSON, UTF-8 encoded. */
export function leafBytes(entry: AuditEntry): Uint8Array {
  return Buffer.from(canonicalJson(entry), 'utf8');
}

/** RFC 8785 canonical JSON of any JSON value. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw invalidInput('value has no JSON form');
  return text;
}

function assertEntryInput(input: AuditEntryInput): void {
  if (typeof input.type !== 'string' || !/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(input.type)) {
    throw invalidInput(`audit entry type ${JSON.stringify(input.type)} is not a dotted lower-case name`);
  }
  if (!EVENT_SOURCES.includes(input.source)) {
    throw invalidInput(`audit entry source ${JSON.stringify(input.source)} is not one of ${EVENT_SOURCES.join(', ')}`);
  }
  for (const field of ['verificationId', 'provider', 'actor', 'providerEventId'] as const) {
    const value = input[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0 || value.length > 256)) {
      throw invalidInput(`audit entry ${field} must be a non-empty string of at most 256 characters`);
    }
  }
  if (input.providerEventId !== undefined && input.provider === undefined) {
    throw invalidInput('audit entry providerEventId needs the provider it belongs to');
  }
  if (input.providerAt !== undefined && !isInstant(input.providerAt)) {
    throw invalidInput('audit entry providerAt must be ISO 8601 UTC with milliseconds and Z');
  }
  if (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) {
    throw invalidInput('audit entry data must be a JSON object');
  }
  assertJson(input.data, 'data');
}

// RFC 8785 cannot encode a lone UTF-16 surrogate.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertJson(value: JsonValue, path: string): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw invalidInput(`audit entry ${path} holds a lone surrogate`);
    return;
  }
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidInput(`audit entry ${path} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertJson(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) throw invalidInput(`audit entry ${path} has a key with a lone surrogate`);
      assertJson(item, `${path}.${key}`);
    }
    return;
  }
  throw invalidInput(`audit entry ${path} is not JSON (${typeof value})`);
}
