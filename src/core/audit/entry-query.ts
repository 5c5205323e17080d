import { invalidInput } from '../errors.js';
import type { EntryQuery } from './store.js';

/** Throws INVALID_INPUT unless a query's bounds are whole non-negative numbers, so every store reads alike. */
export function assertEntryQuery(query: EntryQuery): void {
  for (const field of ['fromIndex', 'limit'] as const) {
    const value = query[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw invalidInput(`${field} must be a whole number of at least 0`, { field });
    }
  }
}
