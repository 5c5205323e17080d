import type { Pool } from 'pg';
import { nextLease, standingLease, type DeviceLease, type LeaseRequest } from '../../index.js';
import type { PostgresCalls } from './calls.js';
import { inTransaction } from './connection.js';
import { DATABASE_NOW_MS, type Tables } from './schema.js';

/** Whose clock decides when a lease lapses: the database's (one clock for every app server) or each caller's `nowMs`. */
export type LeaseClock = 'database' | 'caller';

interface LeaseRow {
  holder: string;
  epoch: string;
  expires_at_ms: number;
  now_ms: number;
}

/** Device lease operations on one schema's `device_leases` table. */
export interface PostgresLeases {
  /** `BridgeStore.acquireLease`, in one transaction. */
  acquire(request: LeaseRequest): Promise<DeviceLease | null>;
  /** `BridgeStore.releaseLease`, in one statement. */
  release(deviceId: string, holder: string): Promise<boolean>;
  /** `BridgeStore.currentLease`. */
  current(deviceId: string, nowMs: number): Promise<DeviceLease | null>;
}

/**
 * Leases where "now" is one SQL expression: the caller's `nowMs` when the clock is `caller`, else the
 * database's `clock_timestamp()`, so the rule in `nextLease` is the same either way. A device with a live
 * call of another verification on it is never leased, whatever its lease says.
 */
export function postgresLeases(pool: Pool, tables: Tables, clock: LeaseClock, calls: PostgresCalls): PostgresLeases {
  const now = `coalesce($2::double precision, ${DATABASE_NOW_MS}::double precision)`;
  const select = `SELECT holder, epoch, expires_at_ms, ${now} AS now_ms FROM ${tables.leases} WHERE device_id = $1`;
  const callerNow = (nowMs: number) => (clock === 'caller' ? nowMs : null);

  return {
    acquire: (request) =>
      inTransaction(pool, async (client) => {
        // Epoch 0 marks a device never leased; inserting it first means there is always a row to lock.
        await client.query(`INSERT INTO ${tables.leases} (device_id, holder, epoch, expires_at_ms) VALUES ($1, '', 0, 0) ON CONFLICT (device_id) DO NOTHING`, [
          request.deviceId,
        ]);
        const values = [request.deviceId, callerNow(request.nowMs)];
        let row = (await client.query<LeaseRow>(`${select} FOR UPDATE SKIP LOCKED`, values)).rows[0];
        if (row === undefined) {
          // Someone else is changing the lease or writing under it. If what they last committed is a live
          // lease of another holder the answer is "busy" without queueing; otherwise wait for the row and decide.
          const committed = (await client.query<LeaseRow>(select, values)).rows[0]!;
          if (nextLease(leaseFromRow(request.deviceId, committed), { ...request, nowMs: committed.now_ms }) === null) return null;
          row = (await client.query<LeaseRow>(`${select} FOR UPDATE`, values)).rows[0]!;
        }
        // Read once the row is locked: a write fenced with this device's lease holds the row too (FOR SHARE),
        // so by now it has committed or been refused, and this statement's snapshot sees the call it wrote.
        if (await calls.occupied(client, request.deviceId, request.holder)) return null;
        const highestCallEpoch = await calls.highestEpoch(client, request.deviceId);
        const lease = nextLease(leaseFromRow(request.deviceId, row), { ...request, nowMs: row.now_ms }, highestCallEpoch);
        if (lease) {
          await client.query(`UPDATE ${tables.leases} SET holder = $2, epoch = $3, expires_at_ms = $4 WHERE device_id = $1`, [
            lease.deviceId,
            lease.holder,
            lease.epoch,
            lease.expiresAtMs,
          ]);
        }
        return lease;
      }),
    async release(deviceId, holder) {
      const result = await pool.query(
        `UPDATE ${tables.leases} SET expires_at_ms = 0 WHERE device_id = $1 AND holder = $2 AND epoch > 0 AND expires_at_ms > 0`,
        [deviceId, holder],
      );
      return (result.rowCount ?? 0) > 0;
    },
    async current(deviceId, nowMs) {
      const row = (await pool.query<LeaseRow>(select, [deviceId, callerNow(nowMs)])).rows[0];
      return row === undefined ? null : standingLease(leaseFromRow(deviceId, row), row.now_ms);
    },
  };
}

function leaseFromRow(deviceId: string, row: LeaseRow): DeviceLease | undefined {
  const epoch = Number(row.epoch);
  return epoch === 0 ? undefined : { deviceId, holder: row.holder, epoch, expiresAtMs: row.expires_at_ms };
}
