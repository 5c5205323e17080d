import { BridgeError, type ProviderHttpClient } from '../../index.js';

/** An identity set as call records carry it; only `user.id` is read, never names. */
export interface GraphIdentitySet {
  user?: { id?: string | null; displayName?: string | null; tenantId?: string | null; userPrincipalName?: string | null } | null;
}

/** One entry of a call record's `participants_v2` (or its `organizer_v2`). */
export interface GraphCallParticipant {
  id?: string;
  identity?: GraphIdentitySet | null;
}

/** The call record fields the adapter reads (PROVIDERS.md §4.3). */
export interface GraphCallRecord {
  id: string;
  /** int64, rising with every update of the record. */
  version: number | string;
  type?: string;
  modalities?: string[];
  /** First join, UTC, 7 fractional digits. */
  startDateTime: string;
  /** Last leave. */
  endDateTime?: string | null;
  lastModifiedDateTime?: string;
  joinWebUrl?: string | null;
  /** Expanded by default. */
  organizer_v2?: GraphCallParticipant | null;
}

/** Reads call records from Graph. */
export interface CallRecordReader {
  /** The record alone: enough to tell whether it is an ops device's meeting. */
  record(id: string): Promise<GraphCallRecord>;
  /** The record with every participant, following `participants_v2@odata.nextLink` page by page. */
  withParticipants(id: string): Promise<{ record: GraphCallRecord; participants: GraphCallParticipant[] }>;
}

// Graph pages participants_v2 at most 130 to a page; this many pages is far beyond any real meeting.
const MAX_PARTICIPANT_PAGES = 50;

interface ParticipantsPage {
  value?: unknown;
  '@odata.nextLink'?: unknown;
}

/**
 * A reader over the Graph client. `graphUrl` is the client's base URL: a nextLink is followed only when
 * it points below it, so the bearer token is never sent to a host the SDK was not configured with.
 */
export function createCallRecordReader(graph: ProviderHttpClient, graphUrl: string): CallRecordReader {
  const path = (id: string) => `/v1.0/communications/callRecords/${encodeURIComponent(id)}`;

  async function record(id: string): Promise<GraphCallRecord> {
    const { data } = await graph.request<unknown>({ method: 'GET', path: path(id) });
    return asCallRecord(data, id);
  }

  return {
    record,
    async withParticipants(id) {
      const { data } = await graph.request<Record<string, unknown>>({ method: 'GET', path: `${path(id)}?$expand=participants_v2` });
      const expanded = asCallRecord(data, id);
      const participants = participantList(data.participants_v2);
      // The first page's link sits on the record; later pages are plain OData collections with `@odata.nextLink`.
      let next = data['participants_v2@odata.nextLink'];
      for (let page = 1; typeof next === 'string'; page += 1) {
        if (page > MAX_PARTICIPANT_PAGES) throw unexpected(`call record ${id} has more than ${MAX_PARTICIPANT_PAGES} pages of participants`);
        const { data: more } = await graph.request<ParticipantsPage>({ method: 'GET', path: graphPathOf(next, graphUrl) });
        participants.push(...participantList(more?.value));
        next = more?.['@odata.nextLink'];
      }
      return { record: expanded, participants };
    },
  };
}

/** The path below `graphUrl` that an absolute Graph link points to; throws if it points anywhere else. */
export function graphPathOf(link: string, graphUrl: string): string {
  const base = new URL(graphUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let target: URL;
  try {
    target = new URL(link);
  } catch {
    throw unexpected('Graph returned a nextLink that is not a URL');
  }
  if (target.origin !== base.origin || !target.pathname.startsWith(`${basePath}/`)) {
    throw unexpected(`Graph returned a nextLink outside ${base.origin}${basePath}; it is not followed`);
  }
  return `${target.pathname.slice(basePath.length)}${target.search}`;
}

function asCallRecord(data: unknown, id: string): GraphCallRecord {
  const record = data as Partial<GraphCallRecord> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.id !== id ||
    (typeof record.version !== 'number' && typeof record.version !== 'string') ||
    typeof record.startDateTime !== 'string'
  ) {
    throw unexpected(`GET callRecords/${id} did not return that call record with its id, version and startDateTime`);
  }
  return record as GraphCallRecord;
}

function participantList(value: unknown): GraphCallParticipant[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw unexpected('participants_v2 is not a list');
  return value.filter((item): item is GraphCallParticipant => typeof item === 'object' && item !== null);
}

function unexpected(message: string): BridgeError {
  return new BridgeError('PROVIDER_REJECTED', `teams: ${message}`, { provider: 'teams' });
}
