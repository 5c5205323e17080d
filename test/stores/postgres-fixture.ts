import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';

/** The server the PostgreSQL tests use; `.ci/run` sets it. Absent means those tests are skipped. */
export const POSTGRES_URL = process.env.VCB_TEST_POSTGRES_URL;

/** Shown in place of the PostgreSQL tests when they cannot run, so a skip is never silent. */
export const SKIP_NOTE = 'skipped: set VCB_TEST_POSTGRES_URL to a PostgreSQL server (.ci/run uses postgres://postgres@127.0.0.1:5432/test)';

if (POSTGRES_URL === undefined) console.warn(`PostgreSQL store tests ${SKIP_NOTE}`);

/** A describe block that runs only with a server, and says why in its title when it does not. */
export function describePostgres(name: string, body: (url: string) => void): void {
  const url = POSTGRES_URL;
  describe.skipIf(url === undefined)(url === undefined ? `${name} (${SKIP_NOTE})` : name, () => body(url ?? ''));
}

/** A schema name no other test, test file or process will pick. */
export function uniqueSchema(label: string): string {
  return `vcb_test_${label}_${randomBytes(5).toString('hex')}`;
}

/** Runs SQL on a connection of its own, as an operator (or an attacker) with psql would. */
export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** Removes a test's schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
