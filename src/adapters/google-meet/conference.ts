import type { meet_v2 } from '@googleapis/meet';
import { BridgeError } from '../../index.js';
import type { MeetRequester } from './requests.js';

/** One conference held in a space, with what Meet knows of its participants and recordings. */
export interface ConferenceSnapshot {
  /** The conference record. */
  record: meet_v2.Schema$ConferenceRecord;
  /** Everyone who joined it. */
  participants: meet_v2.Schema$Participant[];
  /** Its recordings; empty when the adapter does not read them. */
  recordings: meet_v2.Schema$Recording[];
}

// The largest page PROVIDERS.md gives for conferenceRecords.list; one page holds a verification call's records.
const PAGE_SIZE = 100;
// A verification call has one or two conferences; more pages than this means a page token that never ends.
const MAX_PAGES = 20;

/**
 * Reads every conference of a space: conferenceRecords filtered on `space.name`, then each one's
 * participants and (when asked) recordings, following page tokens. A poll therefore costs one list of
 * records plus one or two lists per conference, more only when a list runs past a page.
 */
export async function readConferences(requester: MeetRequester, space: string, withRecordings: boolean): Promise<ConferenceSnapshot[]> {
  const records = await listAll((pageToken) =>
    requester
      .send('conferenceRecords.list', 'idempotent', (api, options) =>
        api.conferenceRecords.list({ filter: `space.name = "${space}"`, pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }, options),
      )
      .then((page) => ({ items: page.conferenceRecords, next: page.nextPageToken })),
  );
  const snapshots: ConferenceSnapshot[] = [];
  for (const record of records) {
    const parent = record.name;
    if (typeof parent !== 'string') throw malformed('a conference record has no name');
    const participants = await listAll((pageToken) =>
      requester
        .send('conferenceRecords.participants.list', 'idempotent', (api, options) =>
          api.conferenceRecords.participants.list({ parent, pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }, options),
        )
        .then((page) => ({ items: page.participants, next: page.nextPageToken })),
    );
    const recordings = withRecordings
      ? await listAll((pageToken) =>
          requester
            .send('conferenceRecords.recordings.list', 'idempotent', (api, options) =>
              api.conferenceRecords.recordings.list({ parent, pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) }, options),
            )
            .then((page) => ({ items: page.recordings, next: page.nextPageToken })),
        )
      : [];
    snapshots.push({ record, participants, recordings });
  }
  return snapshots;
}

// proto3 JSON leaves an empty list out altogether, so a missing field is an empty page.
async function listAll<T>(fetchPage: (pageToken?: string) => Promise<{ items?: T[] | null; next?: string | null }>): Promise<T[]> {
  const items: T[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages += 1) {
    const page = await fetchPage(pageToken);
    items.push(...(page.items ?? []));
    if (!page.next) return items;
    pageToken = page.next;
  }
  throw malformed(`a list ran past ${MAX_PAGES} pages`);
}

function malformed(message: string): BridgeError {
  return new BridgeError('PROVIDER_REJECTED', `google-meet: ${message}`, { provider: 'google-meet' });
}
