import { randomBytes, randomUUID } from 'node:crypto';
import type { Delivery } from '../fake-server.js';
import type { LifecycleStep, Tamper } from '../provider-fake.js';
import type { FakeZoomMeeting, FakeZoomParticipant } from './fake-meetings.js';
import type { ZoomWebhookSender } from './fake-webhooks.js';

/** Settings for {@link createZoomParticipants}. */
export interface ZoomParticipantsOptions {
  /** Where the meeting's webhooks go out. */
  webhooks: ZoomWebhookSender;
  /** The fake's clock in epoch milliseconds. */
  now: () => number;
}

/** Who comes and goes in the fake's meetings, and the webhooks Zoom sends for it. */
export interface ZoomParticipants {
  /** Makes a lifecycle step happen in a meeting and sends its webhooks. */
  play(step: LifecycleStep, meeting: FakeZoomMeeting, tamper?: Tamper): Promise<Delivery[]>;
  /** Sends what Zoom sends when the API has ended a live meeting. */
  announceEnd(meeting: FakeZoomMeeting, stillPresent: FakeZoomParticipant[]): Promise<Delivery[]>;
}

/**
 * Zoom's meeting events (PROVIDERS.md §1.4): `object.id` a string, times ISO strings, the host
 * recognisable by its user id. Zoom ends a meeting when its last participant leaves; here `call-ended`
 * decides when, so a test controls the order.
 */
export function createZoomParticipants(options: ZoomParticipantsOptions): ZoomParticipants {
  const { webhooks } = options;
  let nextUserId = 16_778_240;
  const iso = () => new Date(options.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const meetingObject = (meeting: FakeZoomMeeting) => ({
    id: String(meeting.id),
    uuid: meeting.uuid,
    host_id: meeting.host_id,
    topic: meeting.topic,
    type: meeting.type,
    start_time: meeting.start_time,
    timezone: meeting.timezone,
    duration: meeting.duration,
  });

  function newParticipant(meeting: FakeZoomMeeting, asHost: boolean): FakeZoomParticipant {
    nextUserId += 1;
    // A guest without a Zoom account has no user id or email.
    return {
      user_id: String(nextUserId),
      user_name: asHost ? 'Ops device' : 'Guest',
      id: asHost ? meeting.host_id : '',
      participant_uuid: randomUUID(),
      join_time: iso(),
      email: asHost ? meeting.host_email : '',
      participant_user_id: asHost ? meeting.host_id : '',
    };
  }

  function admit(meeting: FakeZoomMeeting, participant: FakeZoomParticipant, tamper?: Tamper): Promise<Delivery> {
    meeting.participants.set(participant.participant_uuid, { ...participant, join_time: iso() });
    const joined = meeting.participants.get(participant.participant_uuid)!;
    return webhooks.send('meeting.participant_joined', { ...meetingObject(meeting), participant: joined }, { tamper });
  }

  function leaving(meeting: FakeZoomMeeting, participant: FakeZoomParticipant, reason: string, tamper?: Tamper): Promise<Delivery> {
    const left = { ...participant, leave_time: iso(), leave_reason: reason };
    return webhooks.send('meeting.participant_left', { ...meetingObject(meeting), participant: left }, { tamper });
  }

  async function join(meeting: FakeZoomMeeting, asHost: boolean, tamper?: Tamper): Promise<Delivery[]> {
    const participant = newParticipant(meeting, asHost);
    const mayStart = asHost || meeting.settings.join_before_host === true;
    if (meeting.status !== 'started' && !mayStart) {
      meeting.held.push(participant);
      return [];
    }
    if (meeting.status !== 'started') {
      // Starting an ended meeting again opens a new instance, with a new uuid.
      if (meeting.status === 'ended') meeting.uuid = randomBytes(16).toString('base64');
      meeting.status = 'started';
      meeting.start_time = iso();
    }
    const deliveries = [await admit(meeting, participant, tamper)];
    for (const held of meeting.held.splice(0)) deliveries.push(await admit(meeting, held, tamper));
    return deliveries;
  }

  async function leave(meeting: FakeZoomMeeting, asHost: boolean, tamper?: Tamper): Promise<Delivery[]> {
    const participant = [...meeting.participants.values()].find((p) => (p.id === meeting.host_id) === asHost);
    if (!participant) throw new Error(`nobody with host=${asHost} is in meeting ${meeting.id}`);
    meeting.participants.delete(participant.participant_uuid);
    return [await leaving(meeting, participant, 'left the meeting', tamper)];
  }

  async function end(meeting: FakeZoomMeeting, stillPresent: FakeZoomParticipant[], tamper?: Tamper): Promise<Delivery[]> {
    const deliveries: Delivery[] = [];
    for (const participant of stillPresent) deliveries.push(await leaving(meeting, participant, 'the host ended the meeting', tamper));
    deliveries.push(await webhooks.send('meeting.ended', { ...meetingObject(meeting), end_time: meeting.end_time ?? iso() }, { tamper }));
    return deliveries;
  }

  function recording(meeting: FakeZoomMeeting, tamper?: Tamper): Promise<Delivery> {
    const start = meeting.start_time;
    const files = ['MP4', 'M4A'].map((fileType) => ({
      id: randomUUID(),
      meeting_id: meeting.uuid,
      recording_start: start,
      recording_end: iso(),
      file_type: fileType,
      file_size: 1_048_576,
      file_extension: fileType,
      file_name: `${fileType.toLowerCase()}-recording`,
      play_url: `https://zoom.us/rec/play/${randomBytes(12).toString('base64url')}`,
      download_url: `https://zoom.us/rec/download/${randomBytes(12).toString('base64url')}`,
      status: 'completed',
      recording_type: fileType === 'MP4' ? 'shared_screen_with_speaker_view' : 'audio_only',
    }));
    const object = {
      id: meeting.id,
      uuid: meeting.uuid,
      host_id: meeting.host_id,
      account_id: '',
      topic: meeting.topic,
      type: meeting.type,
      start_time: start,
      password: meeting.password,
      timezone: meeting.timezone,
      host_email: meeting.host_email,
      duration: Math.max(1, Math.round((options.now() - Date.parse(start)) / 60_000)),
      share_url: `https://zoom.us/rec/share/${randomBytes(12).toString('base64url')}`,
      total_size: files.length * 1_048_576,
      recording_count: files.length,
      recording_play_passcode: randomBytes(24).toString('base64url'),
      recording_files: files,
      participant_audio_files: [],
    };
    return webhooks.send('recording.completed', object, { tamper, extras: { download_token: randomBytes(48).toString('base64url') } });
  }

  return {
    async play(step, meeting, tamper) {
      switch (step) {
        case 'ops-joined':
          return join(meeting, true, tamper);
        case 'other-joined':
          return join(meeting, false, tamper);
        case 'ops-left':
          return leave(meeting, true, tamper);
        case 'other-left':
          return leave(meeting, false, tamper);
        case 'call-ended': {
          const stillPresent = [...meeting.participants.values()];
          meeting.participants.clear();
          meeting.status = 'ended';
          meeting.end_time = iso();
          return end(meeting, stillPresent, tamper);
        }
        case 'recording-ready':
          return [await recording(meeting, tamper)];
      }
    },
    announceEnd: (meeting, stillPresent) => end(meeting, stillPresent),
  };
}
