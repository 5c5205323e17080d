import type { Pool } from 'pg';
import { inTransaction } from './connection.js';
import { MIGRATION_LOCK_SQL, schemaSql, type Tables } from './schema.js';

/**
 * Creates the schema and tables unless they exist. Several app servers may start at once: concurrent
 * `CREATE ... IF NOT EXISTS` can still collide in the catalogue, so creation runs under an advisory lock.
 * When the tables are already there nothing is created, so a role without CREATE rights can run the store.
 */
export async function migrate(pool: Pool, tables: Tables): Promise<void> {
  if (await tablesExist(pool, tables)) return;
  await inTransaction(pool, async (client) => {
    await client.query(MIGRATION_LOCK_SQL);
    const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [tables.schema]);
    if (schema.rowCount === 0) await client.query(`CREATE SCHEMA "${tables.schema}"`);
    for (const statement of schemaSql(tables)) await client.query(statement);
  });
}

// The newest table and column are checked too, so a database made by an older version gets what it lacks (and its indexes).
async function tablesExist(pool: Pool, tables: Tables): Promise<boolean> {
  const { rows } = await pool.query<{ ready: boolean }>(
    `SELECT bool_and(to_regclass(name) IS NOT NULL) AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'last_at') AS ready
     FROM unnest($1::text[]) AS name`,
    [[tables.entries, tables.leases, tables.personalData, tables.calls, tables.edge, tables.subtrees], tables.edge],
  );
  return rows[0]?.ready === true;
}
