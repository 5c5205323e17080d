import type Database from 'better-sqlite3';
import type { EntryQuery } from '../../index.js';
import type { EntryRow } from './schema.js';

/** `readEntries` for one SQLite connection. */
export type EntrySelect = (query: EntryQuery) => EntryRow[];

/**
 * One prepared statement per combination of filters, so each query names only the columns it filters
 * on and SQLite can use `audit_entries_by_verification` or `audit_entries_by_type`: a single statement
 * with `(@x IS NULL OR col = @x)` cannot use either and scans the whole log.
 */
export function entrySelect(db: Database.Database): EntrySelect {
  const statements = new Map<string, Database.Statement<Record<string, unknown>, EntryRow>>();
  const statementFor = (query: EntryQuery) => {
    const where = ['idx >= @fromIndex'];
    if (query.verificationId !== undefined) where.push('verification_id = @verificationId');
    if (query.type !== undefined) where.push('type = @type');
    const sql = `SELECT * FROM audit_entries WHERE ${where.join(' AND ')} ORDER BY idx ${query.newestFirst ? 'DESC' : 'ASC'} LIMIT @limit`;
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare<Record<string, unknown>, EntryRow>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return (query) =>
    statementFor(query).all({
      fromIndex: query.fromIndex ?? 0,
      limit: query.limit ?? -1,
      ...(query.verificationId === undefined ? {} : { verificationId: query.verificationId }),
      ...(query.type === undefined ? {} : { type: query.type }),
    });
}
