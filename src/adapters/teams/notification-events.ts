import { BridgeError, type ProviderEvent, type ProviderHttpClient } from '../../index.js';
import { createCallRecordReader, type GraphCallRecord } from './call-records.js';
import { threadIdFromJoinWebUrl, type MeetingRegistry } from './meetings.js';
import { callRecordIdOf, type GraphChangeNotification } from './notifications.js';
import { callRecordEvents, userIdOf, type RecordMatch } from './record-events.js';

/** What turning notifications into events needs. */
export interface NotificationEventsDependencies {
  /** The Graph client (bearer auth, retries). */
  graph: ProviderHttpClient;
  /** Its base URL, which nextLinks must stay below. */
  graphUrl: string;
  /** Meetings this process created. */
  meetings: MeetingRegistry;
  /** Ops device users named in the options. */
  deviceUserIds: readonly string[];
}

/**
 * Turns one clientState-checked notification into events, or into the reason it has none. Only the
 * record's id is taken from the notification; everything logged is read from Graph itself. A record is
 * read in full only once it is known to be an ops device's meeting: the subscription covers every call
 * in the tenant, and other staff's calls are none of the log's business.
 */
export function createNotificationEvents(deps: NotificationEventsDependencies): (notification: GraphChangeNotification) => Promise<ProviderEvent[] | string> {
  const records = createCallRecordReader(deps.graph, deps.graphUrl);
  const isOpsUser = (userId: string) => deps.deviceUserIds.includes(userId) || deps.meetings.hasUser(userId);

  // The documented way to find a meeting from its link; it finds nothing once the meeting is deleted.
  async function findMeetingId(userId: string, joinWebUrl: string): Promise<string | undefined> {
    const filter = `JoinWebUrl eq '${joinWebUrl.replace(/'/g, "''")}'`;
    try {
      const { data } = await deps.graph.request<{ value?: { id?: unknown }[] }>({
        method: 'GET',
        path: `/v1.0/users/${encodeURIComponent(userId)}/onlineMeetings?$filter=${encodeURIComponent(filter)}`,
      });
      const id = data?.value?.[0]?.id;
      return typeof id === 'string' ? id : undefined;
    } catch (error) {
      if (BridgeError.hasCode(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  }

  // Ties a record to our call: the meeting remembered from createCall, else the organizer's meeting found
  // by its link, else (deleted meanwhile) its thread id, which the call.created entry also holds.
  async function matchRecord(record: GraphCallRecord): Promise<RecordMatch | undefined> {
    const threadId = threadIdFromJoinWebUrl(record.joinWebUrl);
    const thread = threadId === undefined ? {} : { threadId };
    const known = threadId === undefined ? undefined : deps.meetings.byThreadId(threadId);
    if (known) return { providerCallId: known.meetingId, opsUserId: known.userId, ...thread };
    const organizer = userIdOf(record.organizer_v2);
    if (organizer === undefined || typeof record.joinWebUrl !== 'string' || !isOpsUser(organizer)) return undefined;
    const meetingId = await findMeetingId(organizer, record.joinWebUrl);
    if (meetingId !== undefined) deps.meetings.remember({ meetingId, userId: organizer, ...thread });
    return { providerCallId: meetingId ?? threadId ?? record.id, opsUserId: organizer, ...thread };
  }

  return async (notification) => {
    if (typeof notification.lifecycleEvent === 'string') {
      return `lifecycle notification ${notification.lifecycleEvent}: renew or re-create the call-record subscription`;
    }
    if (notification.changeType === 'deleted') return 'a call record was deleted';
    const recordId = callRecordIdOf(notification);
    if (recordId === undefined) return 'the notification is not about a call record';
    const match = await matchRecord(await records.record(recordId));
    if (!match) return `call record ${recordId} is not a meeting of an ops device`;
    const { record, participants } = await records.withParticipants(recordId);
    return callRecordEvents(record, participants, match);
  };
}
