import { invalidInput } from '../errors.js';

/**
 * A personal-data value held apart from the log, which refers to it only by its keyed hash: erasing
 * the value when its retention ends leaves every leaf, and so the tree, exactly as it was.
 */
export interface PersonalDataRecord {
  /** The keyed hash the log holds (`hmac-sha256:…`). */
  hash: string;
  /** What the value is, e.g. `phone`. */
  kind: string;
  /** The value itself. */
  value: string;
  /** When it must be erased, in epoch milliseconds. */
  retainUntilMs: number;
}

/** What an erasure removed: never the value, only what the log already refers to it by. */
export interface ErasedPersonalData {
  /** The keyed hash. */
  hash: string;
  /** What the value was. */
  kind: string;
}

const HASH = /^hmac-sha256:[0-9a-f]{64}$/;
const KIND = /^[a-z][a-z0-9-]{0,31}$/;

/** Throws INVALID_INPUT unless a record is well formed, so every store keeps the same shape. */
export function assertPersonalDataRecord(record: PersonalDataRecord): void {
  if (typeof record !== 'object' || record === null) throw invalidInput('a personal-data record is required');
  if (typeof record.hash !== 'string' || !HASH.test(record.hash)) throw invalidInput('hash must be a keyed hash (hmac-sha256:<hex>)', { field: 'hash' });
  if (typeof record.kind !== 'string' || !KIND.test(record.kind)) throw invalidInput('kind must be a short lower-case name', { field: 'kind' });
  if (typeof record.value !== 'string' || record.value.length === 0 || record.value.length > 1024) {
    throw invalidInput('value must be 1 to 1024 characters', { field: 'value' });
  }
  if (!Number.isSafeInteger(record.retainUntilMs) || record.retainUntilMs < 0) {
    throw invalidInput('retainUntilMs must be whole epoch milliseconds', { field: 'retainUntilMs' });
  }
}
