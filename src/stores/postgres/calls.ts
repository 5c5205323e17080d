import type { Pool, PoolClient } from 'pg';
import type { CallColumns, CallQuery, CallRecord } from '../../index.js';
import { LIVE, type Tables } from './schema.js';

/** A `calls` row as pg returns it (bigint as a string), or as `json_agg` gives it (bigint as a number). */
export interface PgCallRow extends Omit<CallColumns, 'version' | 'epoch'> {
  version: string | number;
  epoch: string | number | null;
}

/** Call row operations on one schema's `calls` table. */
export interface PostgresCalls {
  /** `BridgeStore.findCall`: one indexed lookup. */
  find(db: Pool | PoolClient, query: CallQuery): Promise<CallRecord | null>;
  /** `BridgeStore.listLiveCalls`. */
  listLive(db: Pool | PoolClient): Promise<CallRecord[]>;
  /** Whether a live call of a verification other than `holder` is on the device. */
  occupied(client: PoolClient, deviceId: string, holder: string): Promise<boolean>;
  /** The highest lease epoch any call on the device was written with, 0 for none. */
  highestEpoch(client: PoolClient, deviceId: string): Promise<number>;
}

/** The columns of a call row, in the order the store writes them (`opened_idx` aside). */
export const CALL_COLUMNS = [
  'verification_id',
  'reference',
  'reference_expires_at_ms',
  'state',
  'version',
  'updated_at_ms',
  'expires_at_ms',
  'owner',
  'provider',
  'provider_call_id',
  'device_id',
  'epoch',
] as const;

/** The call rows of one schema. */
export function postgresCalls(tables: Tables): PostgresCalls {
  const select = `SELECT ${CALL_COLUMNS.join(', ')} FROM ${tables.calls}`;
  const newestWithReference = `${select} WHERE reference = $1 AND verification_id IS DISTINCT FROM $2 ORDER BY opened_idx DESC LIMIT 1`;
  const one = async (db: Pool | PoolClient, text: string, values: unknown[]) => {
    const row = (await db.query<PgCallRow>(text, values)).rows[0];
    return row && callFromRow(row);
  };

  return {
    async find(db, query) {
      const found =
        'verificationId' in query
          ? await one(db, `${select} WHERE verification_id = $1`, [query.verificationId])
          : 'reference' in query
            ? await one(db, newestWithReference, [query.reference, null])
            : await one(db, `${select} WHERE provider = $1 AND provider_call_id = $2`, [query.provider, query.providerCallId]);
      return found ?? null;
    },
    async listLive(db) {
      const { rows } = await db.query<PgCallRow>(`${select} WHERE ${LIVE} ORDER BY opened_idx`);
      return rows.map(callFromRow);
    },
    async occupied(client, deviceId, holder) {
      const { rowCount } = await client.query(`SELECT 1 FROM ${tables.calls} WHERE device_id = $1 AND verification_id <> $2 AND ${LIVE} LIMIT 1`, [
        deviceId,
        holder,
      ]);
      return (rowCount ?? 0) > 0;
    },
    async highestEpoch(client, deviceId) {
      const { rows } = await client.query<{ epoch: string | null }>(`SELECT MAX(epoch) AS epoch FROM ${tables.calls} WHERE device_id = $1`, [deviceId]);
      return Number(rows[0]?.epoch ?? 0);
    },
  };
}

/** The call record a row holds; a NULL column is a field never set. */
export function callFromRow(row: PgCallRow): CallRecord {
  return {
    verificationId: row.verification_id,
    reference: row.reference,
    referenceExpiresAtMs: row.reference_expires_at_ms,
    state: row.state,
    version: Number(row.version),
    updatedAtMs: row.updated_at_ms,
    expiresAtMs: row.expires_at_ms,
    owner: row.owner,
    ...(row.provider === null ? {} : { provider: row.provider }),
    ...(row.provider_call_id === null ? {} : { providerCallId: row.provider_call_id }),
    ...(row.device_id === null ? {} : { deviceId: row.device_id }),
    ...(row.epoch === null ? {} : { epoch: Number(row.epoch) }),
  };
}
