import { invalidInput } from '../errors.js';
import type { EntryQuery } from './store.js';

/** Throws INVALID_INPUT unless a query's bounds are whole non-negative numbers and its type a name, so every store reads alike. */
export function assertEntryQuery(query: EntryQuery): void {
  for (const field of ['fromIndex', 'limit'] as const) {
    const value = query[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw invalidInput(`${field} must be a whole number of at least 0`, { field });
    }
  }
  if (query.type !== undefined && (typeof query.type !== 'string' || query.type.length === 0)) {
    throw invalidInput('type must be a non-empty string', { field: 'type' });
  }
  if (query.newestFirst !== undefined && typeof query.newestFirst !== 'boolean') {
    throw invalidInput('newestFirst must be true or false', { field: 'newestFirst' });
  }
}

/**
 * Throws INVALID_INPUT unless `fromIndex ≤ toIndex ≤ logSize`, all whole numbers; stores call it with
 * their size so a proof is never built from a range the log does not have.
 */
export function assertLeafHashRange(fromIndex: number, toIndex: number, logSize: number): void {
  if (!Number.isSafeInteger(fromIndex) || !Number.isSafeInteger(toIndex) || fromIndex < 0 || toIndex < fromIndex) {
    throw invalidInput('a leaf-hash range needs whole numbers with 0 ≤ fromIndex ≤ toIndex', { field: 'fromIndex' });
  }
  if (toIndex > logSize) {
    throw invalidInput(`the log has ${logSize} entries, so it has no leaf hashes up to ${toIndex}`, { field: 'toIndex' });
  }
}
