/** Where a list request failed, as Google's 400 INVALID_ARGUMENT would say it. */
export class ListRequestError extends Error {}

/** One conference record as `conferenceRecords.list` filters it. */
export interface FilterableRecord {
  /** `spaces/{space}`. */
  space: string;
  /** The space's meeting code. */
  meetingCode: string;
  /** Epoch milliseconds. */
  startMs: number;
  /** Epoch milliseconds; undefined while the conference is live. */
  endMs?: number;
}

const COMPARISON = /^(space\.name|space\.meeting_code|start_time|end_time)\s*(=|!=|<=|>=|<|>)\s*"([^"]*)"$/;
const NULL_CHECK = /^(start_time|end_time)\s+IS\s+(NOT\s+)?NULL$/;

/**
 * Compiles the `filter` of `conferenceRecords.list` (PROVIDERS.md §5.1: space.meeting_code, space.name,
 * start_time, end_time, and `end_time IS NULL`), as terms joined by `AND`. Anything else is refused,
 * so an adapter that sends a filter Google would not understand fails here too.
 */
export function compileRecordFilter(filter: string | null): (record: FilterableRecord) => boolean {
  if (filter === null || filter.trim() === '') return () => true;
  const tests = filter
    .trim()
    .split(/\s+AND\s+/)
    .map((term) => compileTerm(term.trim()));
  return (record) => tests.every((test) => test(record));
}

function compileTerm(term: string): (record: FilterableRecord) => boolean {
  const nullCheck = NULL_CHECK.exec(term);
  if (nullCheck) {
    const wantNull = nullCheck[2] === undefined;
    return (record) => ((nullCheck[1] === 'end_time' ? record.endMs : record.startMs) === undefined) === wantNull;
  }
  const comparison = COMPARISON.exec(term);
  if (!comparison) throw new ListRequestError(`Invalid filter: cannot parse "${term}"`);
  const [, field, operator, value] = comparison as unknown as [string, string, string, string];
  if (field === 'space.name' || field === 'space.meeting_code') {
    if (operator !== '=' && operator !== '!=') throw new ListRequestError(`Invalid filter: ${field} supports = and != only`);
    const read = (record: FilterableRecord) => (field === 'space.name' ? record.space : record.meetingCode);
    return (record) => (read(record) === value) === (operator === '=');
  }
  const boundMs = Date.parse(value);
  if (Number.isNaN(boundMs)) throw new ListRequestError(`Invalid filter: "${value}" is not an RFC 3339 time`);
  return (record) => {
    const timeMs = field === 'start_time' ? record.startMs : record.endMs;
    return timeMs !== undefined && compare(timeMs, operator, boundMs);
  };
}

function compare(left: number, operator: string, right: number): boolean {
  switch (operator) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    default:
      return left >= right;
  }
}

/** Page-size rules of a list: PROVIDERS.md gives default 25 and max 100 for conferenceRecords. */
export interface PageRules {
  /** Used when the request gives none (or 0). */
  defaultSize: number;
  /** Larger requests are cut to this. */
  maxSize: number;
}

/**
 * One page of `items`. The page token is opaque to clients; here it carries the offset and what was
 * listed, so a token replayed against another collection or filter is refused as Google refuses it.
 */
export function pageOf<T>(items: readonly T[], query: URLSearchParams, listing: string, rules: PageRules): { page: T[]; nextPageToken?: string } {
  const sizeParameter = query.get('pageSize');
  const requested = sizeParameter === null ? 0 : Number(sizeParameter);
  if (!Number.isInteger(requested) || requested < 0) throw new ListRequestError('Invalid page size: must be a non-negative integer');
  const size = Math.min(requested === 0 ? rules.defaultSize : requested, rules.maxSize);
  const token = query.get('pageToken');
  let offset = 0;
  if (token !== null && token !== '') {
    const decoded = decodeToken(token);
    if (decoded?.listing !== listing) throw new ListRequestError('Invalid page token');
    offset = decoded.offset;
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length ? { page, nextPageToken: Buffer.from(JSON.stringify({ listing, offset: next })).toString('base64url') } : { page };
}

function decodeToken(token: string): { listing: string; offset: number } | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { listing?: unknown; offset?: unknown };
    return typeof value.listing === 'string' && Number.isInteger(value.offset) ? { listing: value.listing, offset: value.offset as number } : undefined;
  } catch {
    return undefined;
  }
}
