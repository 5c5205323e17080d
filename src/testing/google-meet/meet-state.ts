import { randomBytes, randomInt } from 'node:crypto';

/** A space as `spaces.create` returns it (PROVIDERS.md §5.2). */
export interface FakeMeetSpace {
  name: string;
  meetingUri: string;
  meetingCode: string;
  config: Record<string, unknown>;
}

/** One conference held in a space, as the fake keeps it. */
export interface FakeConference {
  name: string;
  space: string;
  startMs: number;
  endMs?: number;
  participants: { name: string; side: 'ops' | 'other'; identity: Record<string, unknown>; startMs: number; endMs?: number }[];
  recordings: { name: string; startMs: number; endMs: number; file: string }[];
}

/** Settings for {@link createMeetState}. */
export interface MeetStateOptions {
  /** The ops device's `users/{id}`. */
  deviceUser: string;
  /** How the other side appears among participants. */
  otherSide: 'anonymousUser' | 'signedinUser' | 'phoneUser';
  /** Clock in epoch milliseconds. */
  now: () => number;
}

/** What the Meet fake holds: spaces, their conferences, and who is in them. */
export interface MeetState {
  /** Creates a space; unset settings take the user's defaults. */
  createSpace(config: Record<string, unknown>): FakeMeetSpace;
  /** A space by `spaces/{space}` or its alias `spaces/{meetingCode}`. */
  space(name: string): FakeMeetSpace | undefined;
  /** Every space. */
  spaces(): FakeMeetSpace[];
  /** Every conference, oldest first. */
  conferences(): FakeConference[];
  /** The space's conference that has not ended. */
  liveConference(space: string): FakeConference | undefined;
  /** Ends a conference now: it and everyone still in it get an end time. */
  endConference(conference: FakeConference): void;
  /** Whether the call in a space is still held: see {@link createMeetState}. */
  isHeld(space: string): boolean;
  /** Marks a space's call released, as `endActiveConference` does. */
  release(space: string): void;
  /** One side joins, starting a conference if none is live. */
  join(space: string, side: 'ops' | 'other'): void;
  /** One side leaves the live conference. */
  leave(space: string, side: 'ops' | 'other'): void;
  /** Adds a recording whose file exists to the space's live (else latest) conference. */
  recordingReady(space: string): void;
}

/**
 * The state behind the Meet fake. Meet keeps a space for good; the fake counts a call as held from
 * spaces.create until its conference ends or endActiveConference is called, the only release the API
 * offers, and again while a later conference in the same space is live.
 */
export function createMeetState(options: MeetStateOptions): MeetState {
  const { now } = options;
  const spaces = new Map<string, FakeMeetSpace>();
  const held = new Set<string>();
  const conferences: FakeConference[] = [];
  const liveConference = (space: string) => conferences.find((c) => c.space === space && c.endMs === undefined);

  function identityOf(side: 'ops' | 'other'): Record<string, unknown> {
    if (side === 'ops') return { signedinUser: { user: options.deviceUser, displayName: 'Ops Room Device' } };
    switch (options.otherSide) {
      case 'signedinUser':
        return { signedinUser: { user: `users/${randomDigits(21)}`, displayName: 'Member of the public' } };
      case 'phoneUser':
        return { phoneUser: { displayName: '+44 7911 ***456' } };
      default:
        return { anonymousUser: { displayName: 'Member of the public' } };
    }
  }

  function endConference(conference: FakeConference): void {
    const at = now();
    conference.endMs = at;
    for (const participant of conference.participants) participant.endMs ??= at;
    held.delete(conference.space);
  }

  return {
    createSpace(config) {
      const meetingCode = `${letters(3)}-${letters(4)}-${letters(3)}`;
      const space: FakeMeetSpace = {
        name: `spaces/${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
        meetingUri: `https://meet.google.com/${meetingCode}`,
        meetingCode,
        // The user's default access type is admin-controlled; TRUSTED stands in for it.
        config: { accessType: 'TRUSTED', entryPointAccess: 'ALL', ...config },
      };
      spaces.set(space.name, space);
      held.add(space.name);
      return space;
    },
    space: (name) => spaces.get(name) ?? [...spaces.values()].find((s) => `spaces/${s.meetingCode}` === name),
    spaces: () => [...spaces.values()],
    conferences: () => conferences,
    liveConference,
    endConference,
    isHeld: (space) => held.has(space),
    release: (space) => void held.delete(space),
    join(space, side) {
      if (!spaces.has(space)) throw new Error(`the Google Meet fake has no space ${space}`);
      let conference = liveConference(space);
      if (!conference) {
        conference = { name: `conferenceRecords/${randomBytes(12).toString('hex')}`, space, startMs: now(), participants: [], recordings: [] };
        conferences.push(conference);
      }
      held.add(space);
      const present = conference.participants.find((p) => p.side === side);
      if (present && present.endMs === undefined) throw new Error(`the ${side} side is already in ${space}`);
      // A participant who rejoins keeps one resource: earliestStartTime stays, latestEndTime clears while active.
      if (present) delete present.endMs;
      else conference.participants.push({ name: `${conference.name}/participants/${randomDigits(19)}`, side, identity: identityOf(side), startMs: now() });
    },
    leave(space, side) {
      const participant = liveConference(space)?.participants.find((p) => p.side === side && p.endMs === undefined);
      if (!participant) throw new Error(`the ${side} side is not in a live conference of ${space}`);
      participant.endMs = now();
    },
    recordingReady(space) {
      const conference = liveConference(space) ?? conferences.filter((c) => c.space === space).at(-1);
      if (!conference) throw new Error(`no conference in ${space} to record`);
      const name = `${conference.name}/recordings/${randomBytes(10).toString('hex')}`;
      conference.recordings.push({ name, startMs: conference.startMs, endMs: now(), file: randomBytes(24).toString('base64url') });
    },
  };
}

/** A random Google-style numeric id: `count` digits, no leading zero. */
export function randomDigits(count: number): string {
  return `${randomInt(1, 10)}${Array.from({ length: count - 1 }, () => randomInt(10)).join('')}`;
}

function letters(count: number): string {
  return Array.from({ length: count }, () => String.fromCharCode(97 + randomInt(26))).join('');
}
