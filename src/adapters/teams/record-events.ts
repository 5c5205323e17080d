import type { JsonObject, ParticipantRole, ProviderEvent } from '../../index.js';
import type { GraphCallParticipant, GraphCallRecord } from './call-records.js';

/** What ties a call record to the bridge's call. */
export interface RecordMatch {
  /** The onlineMeeting id, or the meeting's chat thread id when the meeting could not be found. */
  providerCallId: string;
  /** The ops device's user (the organizer); participants with this user id are the ops device. */
  opsUserId?: string;
  /** The meeting's chat thread id, kept so an unmatched record can still be tied to its call.created entry. */
  threadId?: string;
}

/**
 * The uniform events a call record stands for: `call.started` at its startDateTime (first join),
 * `participant.joined` for each participant, and `call.ended` at its endDateTime (last leave).
 *
 * Records arrive only after the meeting ends, so these are the call's timings from Graph, logged
 * alongside the operator's live attestation and marked by `providerType` `callRecord.*`. participants_v2
 * carries no per-participant times, so participant events have no provider time rather than a made-up
 * one. Event ids hold the record's id and version: a re-delivered notification is a duplicate, and an
 * updated record (a higher version) is logged again as new evidence.
 */
export function callRecordEvents(record: GraphCallRecord, participants: readonly GraphCallParticipant[], match: RecordMatch): ProviderEvent[] {
  const version = String(record.version);
  const eventId = (what: string) => `${record.id}:${version}:${what}`;
  const base = { providerCallId: match.providerCallId };
  const recordFacts: JsonObject = { callRecordId: record.id, recordVersion: version };
  const events: ProviderEvent[] = [
    {
      ...base,
      type: 'call.started',
      providerType: 'callRecord.startDateTime',
      providerEventId: eventId('call.started'),
      providerTime: { value: record.startDateTime },
      evidence: {
        ...recordFacts,
        ...(typeof record.type === 'string' ? { recordType: record.type } : {}),
        ...(Array.isArray(record.modalities) ? { modalities: record.modalities.filter((m) => typeof m === 'string') } : {}),
        ...(match.threadId === undefined ? {} : { threadId: match.threadId }),
      },
    },
  ];
  participants.forEach((participant, index) => {
    const participantId = participant.id ?? userIdOf(participant) ?? `#${index}`;
    events.push({
      ...base,
      type: 'participant.joined',
      providerType: 'callRecord.participants_v2',
      providerEventId: eventId(`participant:${participantId}`),
      participant: { role: roleOf(participant, match.opsUserId), providerParticipantId: participantId },
      evidence: recordFacts,
    });
  });
  if (typeof record.endDateTime === 'string') {
    events.push({
      ...base,
      type: 'call.ended',
      providerType: 'callRecord.endDateTime',
      providerEventId: eventId('call.ended'),
      providerTime: { value: record.endDateTime },
      evidence: {
        ...recordFacts,
        ...(typeof record.lastModifiedDateTime === 'string' ? { lastModifiedDateTime: record.lastModifiedDateTime } : {}),
      },
    });
  }
  return events;
}

/** The Entra user id of a participant or organizer entry, when it has one. */
export function userIdOf(participant: GraphCallParticipant | null | undefined): string | undefined {
  const id = participant?.identity?.user?.id;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

// The meeting has one organizer account, the ops device's. Everyone else, including anonymous guests
// (PROVIDERS.md is silent on how they appear), is the other side.
function roleOf(participant: GraphCallParticipant, opsUserId: string | undefined): ParticipantRole {
  if (opsUserId === undefined) return 'unknown';
  return userIdOf(participant) === opsUserId ? 'ops-device' : 'other-side';
}
