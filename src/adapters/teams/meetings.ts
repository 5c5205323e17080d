/** An online meeting this adapter created: enough to delete it and to recognise its call record. */
export interface KnownMeeting {
  /** The onlineMeeting id, which is the bridge's providerCallId. */
  meetingId: string;
  /** The organizer: the ops device's user, whose path the meeting lives under. */
  userId: string;
  /** The meeting's chat thread id, which its call record's joinWebUrl also carries. */
  threadId?: string;
}

/** Meetings created in this process, looked up by meeting id or by chat thread id. */
export interface MeetingRegistry {
  /** Remembers a created meeting. */
  remember(meeting: KnownMeeting): void;
  /** The meeting with this onlineMeeting id. */
  byMeetingId(meetingId: string): KnownMeeting | undefined;
  /** The meeting on this chat thread. */
  byThreadId(threadId: string): KnownMeeting | undefined;
  /** Whether a meeting was created for this user (an ops device's account). */
  hasUser(userId: string): boolean;
}

/**
 * Keeps meetings after they are deleted, because Graph publishes a call record only after the meeting
 * ends, often minutes after the bridge has deleted it. The oldest are forgotten past `limit`, so a
 * long-running process does not grow without bound.
 */
export function createMeetingRegistry(limit: number): MeetingRegistry {
  const byMeeting = new Map<string, KnownMeeting>();
  const byThread = new Map<string, KnownMeeting>();
  const users = new Set<string>();
  return {
    remember(meeting) {
      byMeeting.delete(meeting.meetingId);
      byMeeting.set(meeting.meetingId, meeting);
      if (meeting.threadId !== undefined) byThread.set(meeting.threadId, meeting);
      users.add(meeting.userId);
      while (byMeeting.size > limit) {
        const [oldestId, oldest] = byMeeting.entries().next().value as [string, KnownMeeting];
        byMeeting.delete(oldestId);
        if (oldest.threadId !== undefined && byThread.get(oldest.threadId) === oldest) byThread.delete(oldest.threadId);
      }
    },
    byMeetingId: (meetingId) => byMeeting.get(meetingId),
    byThreadId: (threadId) => byThread.get(threadId),
    hasUser: (userId) => users.has(userId),
  };
}

const MEETUP_JOIN = /\/l\/meetup-join\/([^/?#]+)/;

/**
 * The chat thread id (`19:meeting_…@thread.v2`) in a Teams join link. Graph's joinWebUrl examples put it,
 * percent-encoded, right after `/l/meetup-join/`; comparing decoded thread ids rather than whole links
 * survives differences in how the two links encode their `context` parameter.
 */
export function threadIdFromJoinWebUrl(joinWebUrl: string | null | undefined): string | undefined {
  if (typeof joinWebUrl !== 'string') return undefined;
  const match = MEETUP_JOIN.exec(joinWebUrl);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}
