import type { JsonObject } from '../json.js';
import { sealEntry, type AuditEntry, type EventSource } from './entry.js';

/**
 * An entry laid out as SQL stores keep it, one column per field (`data` as JSON text). The names are
 * the column names, so a row read back from SQLite or PostgreSQL is already in this shape.
 */
export interface EntryColumns {
  idx: number;
  verification_id: string | null;
  type: string;
  at: string;
  provider_at: string | null;
  source: string;
  provider: string | null;
  actor: string | null;
  provider_event_id: string | null;
  data: string;
}

/** The columns an SQL store writes for a sealed entry. */
export function entryColumns(entry: AuditEntry): EntryColumns {
  return {
    idx: entry.index,
    verification_id: entry.verificationId ?? null,
    type: entry.type,
    at: entry.at,
    provider_at: entry.providerAt ?? null,
    source: entry.source,
    provider: entry.provider ?? null,
    actor: entry.actor ?? null,
    provider_event_id: entry.providerEventId ?? null,
    data: JSON.stringify(entry.data),
  };
}

/** Rebuilds an entry from its columns; throws if they no longer form a valid entry. */
export function entryFromColumns(row: EntryColumns): AuditEntry {
  return sealEntry(
    {
      type: row.type,
      source: row.source as EventSource,
      data: JSON.parse(row.data) as JsonObject,
      ...(row.verification_id === null ? {} : { verificationId: row.verification_id }),
      ...(row.provider === null ? {} : { provider: row.provider }),
      ...(row.actor === null ? {} : { actor: row.actor }),
      ...(row.provider_event_id === null ? {} : { providerEventId: row.provider_event_id }),
      ...(row.provider_at === null ? {} : { providerAt: row.provider_at }),
    },
    row.idx,
    row.at,
  );
}
