import type { CallState } from '../call-state.js';
import type { CallRecord } from './call-record.js';

/**
 * A call record laid out as SQL stores keep it, one column per field, a field never set as NULL. The
 * names are the column names of the `calls` table in every SQL store.
 */
export interface CallColumns {
  verification_id: string;
  reference: string;
  reference_expires_at_ms: number;
  state: CallState;
  version: number;
  updated_at_ms: number;
  expires_at_ms: number;
  owner: string;
  provider: string | null;
  provider_call_id: string | null;
  device_id: string | null;
  epoch: number | null;
}

/** The columns an SQL store writes for a call record (the row's `opened_idx` is the store's own). */
export function callColumns(record: CallRecord): CallColumns {
  return {
    verification_id: record.verificationId,
    reference: record.reference,
    reference_expires_at_ms: record.referenceExpiresAtMs,
    state: record.state,
    version: record.version,
    updated_at_ms: record.updatedAtMs,
    expires_at_ms: record.expiresAtMs,
    owner: record.owner,
    provider: record.provider ?? null,
    provider_call_id: record.providerCallId ?? null,
    device_id: record.deviceId ?? null,
    epoch: record.epoch ?? null,
  };
}
