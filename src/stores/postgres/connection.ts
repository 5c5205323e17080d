import type { Pool, PoolClient } from 'pg';
import { BridgeError } from '../../index.js';
import { PROVIDER_EVENT_INDEX } from './schema.js';

/** Where the store's connections come from. */
export type PoolSource = { pool: Pool } | { connectionString: string; maxConnections: number };

/**
 * Loads `pg` (an optional peer, so only apps that use this store install it) and makes the pool. The
 * caller's pool is used as given; a pool made here is the store's to end.
 */
export async function openPool(source: PoolSource): Promise<{ pool: Pool; owned: boolean }> {
  if ('pool' in source) return { pool: source.pool, owned: false };
  let PgPool: typeof Pool;
  try {
    // pg is CommonJS: its classes hang off the default export.
    PgPool = (await import('pg')).default.Pool;
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', 'the postgres store needs the optional peer dependency pg: install it next to this package', {
      cause: error,
    });
  }
  // pg parses the connection string when it first connects, and redacts it in the error it throws then.
  const pool = new PgPool({
    connectionString: source.connectionString,
    max: source.maxConnections,
    fallback_application_name: 'verification-call-bridge',
  });
  // An idle connection that drops is discarded by the pool and the next query opens another; without a
  // listener Node would treat the event as an uncaught exception and end the process.
  pool.on('error', () => undefined);
  return { pool, owned: true };
}

/**
 * Runs `work` in one READ COMMITTED transaction on one connection: committed if it returns, rolled back
 * if it throws. A connection whose rollback fails is destroyed rather than handed to the next caller.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    let result: T;
    try {
      result = await work(client);
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (broken === undefined && !leavesConnectionUsable(error)) broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Turns a driver failure into the store's errors: DUPLICATE_EVENT for a repeated provider event, else STORE_FAILED. */
export function storeError(error: unknown, action: string): BridgeError {
  if (BridgeError.isInstance(error)) return error;
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === '23505' && constraint === PROVIDER_EVENT_INDEX) {
    return new BridgeError('DUPLICATE_EVENT', 'that provider event is already logged', { cause: error });
  }
  // pg's messages name hosts and roles, never the password, so the cause is safe to keep.
  return new BridgeError('STORE_FAILED', `postgres store could not ${action}`, { cause: error });
}

// Our own refusals and most server errors end only the transaction; a lost connection (SQLSTATE class
// 08, an administrator's 57P, or a network error with no SQLSTATE at all) must not go back to the pool.
function leavesConnectionUsable(error: unknown): boolean {
  if (BridgeError.isInstance(error)) return true;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' && !code.startsWith('08') && !code.startsWith('57P');
}
