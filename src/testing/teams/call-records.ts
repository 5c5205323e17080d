import { randomUUID } from 'node:crypto';
import type { FakeResponse } from '../fake-server.js';
import { graphError } from './errors.js';
import { graphDateTime, type FakeOnlineMeeting, type FakeTeamsUser } from './meetings.js';

/** Which side of the meeting a step concerns. */
export type MeetingSide = 'ops' | 'other';

/** A participant of a call record (`participants_v2` / `organizer_v2`). */
export interface FakeCallParticipant {
  id: string;
  identity: Record<string, unknown>;
}

/** A call record as the fake holds it (PROVIDERS.md §4.3). */
export interface FakeCallRecord {
  id: string;
  version: number;
  meetingId: string;
  joinWebUrl: string;
  startDateTime: string;
  endDateTime: string;
  lastModifiedDateTime: string;
  organizer: FakeCallParticipant;
  participants: FakeCallParticipant[];
}

/** Builds call records from what happens in meetings, and serves them under `/v1.0/communications/callRecords`. */
export interface CallRecordStore {
  /** Someone joins a meeting: remembered for the record, nothing is published yet. */
  join(meeting: FakeOnlineMeeting, side: MeetingSide): void;
  /** Someone leaves. */
  leave(meeting: FakeOnlineMeeting, side: MeetingSide): void;
  /** The meeting ends: its call record now exists. */
  end(meeting: FakeOnlineMeeting): FakeCallRecord;
  /** Graph revises a record: its version rises. */
  revise(recordId: string): FakeCallRecord;
  /** `GET /{id}` (with `$expand=participants_v2`, paged). */
  get(recordId: string, query: URLSearchParams, origin: string): FakeResponse;
  /** `GET /{id}/participants_v2?$skiptoken=…`, the pages after the first. */
  participantsPage(recordId: string, query: URLSearchParams, origin: string): FakeResponse;
  /** Every record so far. */
  all(): FakeCallRecord[];
}

/** Settings for {@link createCallRecordStore}. */
export interface CallRecordStoreSettings {
  tenantId: string;
  users: readonly FakeTeamsUser[];
  /** participants_v2 page size; Graph's maximum is 130. */
  pageSize: number;
  /**
   * How a guest who joins by link appears in `identity`. PROVIDERS.md documents only `identity.user`;
   * the default uses the `guest` member of Graph's communications identity set, with no user.
   */
  guestIdentity: (participantId: string) => Record<string, unknown>;
  now: () => number;
}

interface Activity {
  firstJoinMs?: number;
  lastLeaveMs?: number;
  participants: Map<MeetingSide, FakeCallParticipant>;
}

/** A call record store for the fake. */
export function createCallRecordStore(settings: CallRecordStoreSettings): CallRecordStore {
  const activity = new Map<string, Activity>();
  const records = new Map<string, FakeCallRecord>();

  function organizerOf(meeting: FakeOnlineMeeting): FakeCallParticipant {
    const user = settings.users.find((u) => u.id === meeting.userId)!;
    return {
      id: user.id,
      identity: { user: { id: user.id, displayName: user.displayName, tenantId: settings.tenantId, userPrincipalName: user.userPrincipalName } },
    };
  }

  function activityOf(meeting: FakeOnlineMeeting): Activity {
    let found = activity.get(meeting.id);
    if (!found) {
      found = { participants: new Map() };
      activity.set(meeting.id, found);
    }
    return found;
  }

  function pageOf(record: FakeCallRecord, offset: number, origin: string): { value: FakeCallParticipant[]; nextLink?: string } {
    const value = record.participants.slice(offset, offset + settings.pageSize);
    const next = offset + settings.pageSize;
    // The skiptoken is opaque to clients; the fake encodes the offset in it.
    const skiptoken = Buffer.from(`offset:${next}`).toString('base64url');
    return next < record.participants.length
      ? { value, nextLink: `${origin}/v1.0/communications/callRecords/${record.id}/participants_v2?$skiptoken=${skiptoken}` }
      : { value };
  }

  return {
    join(meeting, side) {
      const current = activityOf(meeting);
      current.firstJoinMs ??= settings.now();
      if (!current.participants.has(side)) {
        const id = side === 'ops' ? meeting.userId : randomUUID();
        current.participants.set(side, side === 'ops' ? organizerOf(meeting) : { id, identity: settings.guestIdentity(id) });
      }
    },
    leave(meeting, side) {
      const current = activityOf(meeting);
      if (!current.participants.has(side)) throw new Error(`the ${side} side never joined meeting ${meeting.id}`);
      current.lastLeaveMs = settings.now();
    },
    end(meeting) {
      const current = activityOf(meeting);
      const endMs = Math.max(current.lastLeaveMs ?? settings.now(), current.firstJoinMs ?? settings.now());
      const record: FakeCallRecord = {
        id: randomUUID(),
        version: 1,
        meetingId: meeting.id,
        joinWebUrl: meeting.joinWebUrl,
        startDateTime: graphDateTime(current.firstJoinMs ?? endMs),
        endDateTime: graphDateTime(endMs),
        lastModifiedDateTime: graphDateTime(settings.now()),
        organizer: organizerOf(meeting),
        participants: [...current.participants.values()],
      };
      activity.delete(meeting.id);
      records.set(record.id, record);
      return record;
    },
    revise(recordId) {
      const record = records.get(recordId);
      if (!record) throw new Error(`no call record ${recordId}`);
      record.version += 1;
      record.lastModifiedDateTime = graphDateTime(settings.now());
      return record;
    },
    get(recordId, query, origin) {
      const record = records.get(recordId);
      // A record exists only once its call has ended (PROVIDERS.md §4.3).
      if (!record) return graphError(404, `The callRecord '${recordId}' was not found.`);
      const expand = query.get('$expand');
      if (expand !== null && expand !== 'participants_v2') return graphError(400, `The fake expands only participants_v2, not ${expand}.`);
      const body: Record<string, unknown> = {
        '@odata.context': `${origin}/v1.0/$metadata#communications/callRecords/$entity`,
        version: record.version,
        type: 'groupCall',
        modalities: ['audio', 'video'],
        lastModifiedDateTime: record.lastModifiedDateTime,
        startDateTime: record.startDateTime,
        endDateTime: record.endDateTime,
        id: record.id,
        joinWebUrl: record.joinWebUrl,
        // organizer_v2 is expanded by default.
        organizer_v2: record.organizer,
      };
      if (expand === 'participants_v2') {
        const page = pageOf(record, 0, origin);
        body.participants_v2 = page.value;
        if (page.nextLink) body['participants_v2@odata.nextLink'] = page.nextLink;
      }
      return { status: 200, body };
    },
    participantsPage(recordId, query, origin) {
      const record = records.get(recordId);
      if (!record) return graphError(404, `The callRecord '${recordId}' was not found.`);
      const token = Buffer.from(query.get('$skiptoken') ?? '', 'base64url').toString('utf8');
      const offset = /^offset:(\d+)$/.exec(token)?.[1];
      if (offset === undefined) return graphError(400, 'The $skiptoken is not valid.');
      const page = pageOf(record, Number(offset), origin);
      return {
        status: 200,
        body: {
          '@odata.context': `${origin}/v1.0/$metadata#communications/callRecords('${record.id}')/participants_v2`,
          value: page.value,
          ...(page.nextLink ? { '@odata.nextLink': page.nextLink } : {}),
        },
      };
    },
    all: () => [...records.values()],
  };
}
