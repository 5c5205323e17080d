import type { meet_v2 } from '@googleapis/meet';
import { BridgeError, providerTimeToEpochMs, type ParticipantRole, type ProviderEvent, type UniformEventType } from '../../index.js';
import type { ConferenceSnapshot } from './conference.js';

// Events at the same instant keep the order a call lives them in.
const RANK: Readonly<Record<UniformEventType, number>> = {
  'call.started': 0,
  'participant.joined': 1,
  'chat.linked': 1,
  'participant.left': 2,
  'recording.ready': 3,
  'call.ended': 4,
};

/**
 * Turns what Meet holds about a space's conferences into uniform events, oldest first: a record's
 * startTime is `call.started` and its endTime `call.ended`; a participant's earliestStartTime is
 * `participant.joined` and latestEndTime `participant.left`; a FILE_GENERATED recording is
 * `recording.ready`. Each event id is the Meet resource name plus what happened, so the same fact
 * read on every poll is logged once. A participant who leaves and rejoins is one resource with one
 * earliestStartTime, so only the first leaving is logged (participantSessions would itemise them).
 * `deviceUser` is the ops device's `users/{id}`; unknown, signed-in participants have role `unknown`.
 */
export function conferenceEvents(space: string, deviceUser: string | undefined, snapshots: readonly ConferenceSnapshot[]): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  const event = (type: UniformEventType, providerType: string, providerEventId: string, time: string | null | undefined, rest: Partial<ProviderEvent>) =>
    events.push({ type, providerType, providerCallId: space, providerEventId, ...(time ? { providerTime: { value: time } } : {}), ...rest });
  for (const { record, participants, recordings } of snapshots) {
    const conference = required(record.name, 'a conference record has no name');
    const evidence = { conferenceRecord: conference };
    event('call.started', 'conferenceRecord.startTime', `${conference}:started`, required(record.startTime, `${conference} has no startTime`), { evidence });
    if (record.endTime) event('call.ended', 'conferenceRecord.endTime', `${conference}:ended`, record.endTime, { evidence });
    for (const participant of participants) {
      const name = required(participant.name, `a participant of ${conference} has no name`);
      const joinedAt = required(participant.earliestStartTime, `${name} has no earliestStartTime`);
      const about = {
        participant: { role: roleOf(participant, deviceUser), providerParticipantId: name },
        evidence: { ...evidence, participant: name, kind: kindOf(participant) },
      };
      event('participant.joined', 'participant.earliestStartTime', `${name}:joined`, joinedAt, about);
      if (participant.latestEndTime) event('participant.left', 'participant.latestEndTime', `${name}:left`, participant.latestEndTime, about);
    }
    for (const recording of recordings) {
      if (recording.state !== 'FILE_GENERATED') continue;
      const name = required(recording.name, `a recording of ${conference} has no name`);
      const file = recording.driveDestination?.file;
      event('recording.ready', 'recording.FILE_GENERATED', `${name}:ready`, recording.endTime, {
        evidence: { ...evidence, recording: name, ...(file ? { driveFile: file } : {}) },
      });
    }
  }
  return chronological(events);
}

// Signed-in users are told apart by their `users/{id}`; anyone anonymous or dialled in is not the ops device.
function roleOf(participant: meet_v2.Schema$Participant, deviceUser: string | undefined): ParticipantRole {
  const user = participant.signedinUser?.user;
  if (typeof user !== 'string') return participant.anonymousUser || participant.phoneUser ? 'other-side' : 'unknown';
  if (deviceUser === undefined) return 'unknown';
  return user === deviceUser ? 'ops-device' : 'other-side';
}

// The kind of identity only: display names and other people's user ids are personal data and stay out of the log.
function kindOf(participant: meet_v2.Schema$Participant): string {
  if (participant.signedinUser) return 'signedinUser';
  if (participant.anonymousUser) return 'anonymousUser';
  return participant.phoneUser ? 'phoneUser' : 'unknown';
}

function chronological(events: ProviderEvent[]): ProviderEvent[] {
  const keyed = events.map((event) => {
    try {
      return { event, ms: event.providerTime ? providerTimeToEpochMs(event.providerTime) : Number.POSITIVE_INFINITY };
    } catch (error) {
      throw new BridgeError('PROVIDER_REJECTED', `google-meet: ${event.providerEventId} has an unreadable time`, { provider: 'google-meet', cause: error });
    }
  });
  return keyed.sort((a, b) => a.ms - b.ms || RANK[a.event.type] - RANK[b.event.type]).map(({ event }) => event);
}

function required(value: string | null | undefined, problem: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new BridgeError('PROVIDER_REJECTED', `google-meet: ${problem}`, { provider: 'google-meet' });
  return value;
}
