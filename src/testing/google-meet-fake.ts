import { randomBytes, randomInt } from 'node:crypto';
import { startFakeServer, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import { googleError, googleErrorBody } from './google-meet/google-error.js';
import { compileRecordFilter, ListRequestError, pageOf, type PageRules } from './google-meet/listing.js';
import { createFakeOAuth, MEET_SCOPE_CREATED, MEET_SCOPE_READONLY } from './google-meet/oauth.js';
import type { LifecycleStep, ProviderFake } from './provider-fake.js';

/** Settings for {@link startGoogleMeetFake}; each secret defaults to a random value. */
export interface GoogleMeetFakeOptions {
  /** OAuth client id of the app. */
  clientId?: string;
  /** OAuth client secret of the app. */
  clientSecret?: string;
  /** The refresh token the ops device's Google account granted the app. */
  refreshToken?: string;
  /** Called with every access token the token endpoint mints. */
  onTokenIssued?: (accessToken: string) => void;
  /** Scopes the grant holds. @default ['…/auth/meetings.space.created'] */
  scopes?: readonly string[];
  /** Access-token lifetime in seconds (PROVIDERS.md is silent; Google's tokens last about an hour). @default 3599 */
  accessTokenLifetimeSeconds?: number;
  /** The ops device's Google user, which `ops-joined` joins as. @default a random `users/{id}` */
  deviceUser?: string;
  /** How the other side appears in the conference. @default 'anonymousUser' */
  otherSide?: 'anonymousUser' | 'signedinUser' | 'phoneUser';
  /**
   * The answer to `endActiveConference` on a space with no live conference, which PROVIDERS.md leaves
   * open; third-party code reports a 400 FAILED_PRECONDITION. @default 'failed-precondition'
   */
  endWithoutConference?: 'failed-precondition' | 'empty';
  /** Largest page any list returns, to exercise pagination (PROVIDERS.md: max 100). @default 100 */
  maxPageSize?: number;
  /** Fractional-second digits in RFC 3339 times (protobuf JSON uses 0, 3, 6 or 9). @default 6 */
  fractionDigits?: 0 | 3 | 6 | 9;
  /** `Retry-After` seconds added to an injected 429 that names none. @default 1 */
  retryAfterSeconds?: number;
  /** The fake's clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
}

/** A space as `spaces.create` returns it (PROVIDERS.md §5.2). */
export interface FakeMeetSpace {
  name: string;
  meetingUri: string;
  meetingCode: string;
  config: Record<string, unknown>;
}

/** A running Google Meet fake: the Meet REST API v2 and Google's token endpoint on one origin. */
export interface GoogleMeetFake extends ProviderFake {
  /** `http://127.0.0.1:<port>/`, the adapter's `rootUrl`; the client resolves `/v2/…` against it. */
  rootUrl: string;
  /** The token endpoint, for an OAuth2Client's `endpoints.oauth2TokenUrl` or the adapter's `tokenUrl`. */
  tokenUrl: string;
  /** The accepted client id. */
  clientId: string;
  /** The accepted client secret. */
  clientSecret: string;
  /** The ops device's refresh token. */
  refreshToken: string;
  /** The ops device's Google user, `users/{id}`: its handle for the adapter. */
  deviceUser: string;
  /** Every request received, token requests included. */
  requests: RecordedRequest[];
  /** Makes the next matching requests fail with Google's error body. */
  injectFault(fault: Fault): void;
  /** Delays every answer by this many milliseconds. */
  setLatency(ms: number): void;
  /** Spaces created so far. */
  spaces(): FakeMeetSpace[];
  /** Makes every access token issued so far expire now; the refresh token still works. */
  expireAccessTokens(): void;
}

interface Participant {
  name: string;
  side: 'ops' | 'other';
  identity: Record<string, unknown>;
  startMs: number;
  endMs?: number;
}

interface Conference {
  name: string;
  space: string;
  startMs: number;
  endMs?: number;
  participants: Participant[];
  recordings: { name: string; startMs: number; endMs: number; file: string }[];
}

// PROVIDERS.md gives these for conferenceRecords only; the fake applies them to every list.
const PAGE_RULES: PageRules = { defaultSize: 25, maxSize: 100 };
const READ_SCOPES = [MEET_SCOPE_CREATED, MEET_SCOPE_READONLY];
const DAY_MS = 86_400_000;

/** Starts a local fake of the Google Meet REST API v2 (PROVIDERS.md §5) and its OAuth token endpoint. */
export async function startGoogleMeetFake(options: GoogleMeetFakeOptions = {}): Promise<GoogleMeetFake> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? `${randomInt(1e11, 1e12 - 1)}-fake.apps.googleusercontent.com`;
  const clientSecret = options.clientSecret ?? `GOCSPX-${randomBytes(18).toString('base64url')}`;
  const refreshToken = options.refreshToken ?? `1//fake-${randomBytes(32).toString('base64url')}`;
  const deviceUser = options.deviceUser ?? `users/${randomDigits(21)}`;
  const fractionDigits = options.fractionDigits ?? 6;
  const rules: PageRules = { ...PAGE_RULES, maxSize: Math.min(PAGE_RULES.maxSize, options.maxPageSize ?? PAGE_RULES.maxSize) };
  const oauth = createFakeOAuth({
    clientId,
    clientSecret,
    refreshToken,
    scopes: options.scopes ?? [MEET_SCOPE_CREATED],
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3599,
    now,
    onTokenIssued: options.onTokenIssued,
  });
  const spaces = new Map<string, FakeMeetSpace>();
  // Meet keeps a space for good; the fake counts a call as held from create until its conference ends or is ended.
  const openSpaces = new Set<string>();
  const conferences: Conference[] = [];
  const time = (ms: number) => rfc3339(ms, fractionDigits);

  function handle(request: RecordedRequest): FakeResponse {
    if (request.method === 'POST' && request.path === '/token') return oauth.token(request);
    const writes = request.method === 'POST';
    const denied = oauth.authorise(request, writes ? [MEET_SCOPE_CREATED] : READ_SCOPES);
    if (denied) return denied;
    try {
      return route(request);
    } catch (error) {
      if (error instanceof ListRequestError) return googleError(400, error.message);
      throw error;
    }
  }

  function route(request: RecordedRequest): FakeResponse {
    const { method, path } = request;
    if (method === 'POST' && path === '/v2/spaces') return createSpace(request.body);
    const end = /^\/v2\/(spaces\/[^/:]+):endActiveConference$/.exec(path);
    if (method === 'POST' && end) return endActiveConference(end[1]!);
    const space = /^\/v2\/(spaces\/[^/:]+)$/.exec(path);
    if (method === 'GET' && space) return getSpace(space[1]!);
    if (method === 'GET' && path === '/v2/conferenceRecords') return listConferences(request.query);
    const record = /^\/v2\/(conferenceRecords\/[^/]+)(?:\/(participants|recordings))?$/.exec(path);
    if (method === 'GET' && record) {
      const conference = conferences.find((c) => c.name === record[1]);
      if (!conference) return notFound();
      if (record[2] === 'participants') return listParticipants(conference, request.query);
      if (record[2] === 'recordings') return listRecordings(conference, request.query);
      return { status: 200, body: recordJson(conference) };
    }
    return notFound();
  }

  function createSpace(body: unknown): FakeResponse {
    const input = (body ?? {}) as Record<string, unknown>;
    if (typeof input !== 'object' || Array.isArray(input)) return googleError(400, 'Invalid JSON payload received.');
    const unknownField = Object.keys(input).find((key) => !['name', 'meetingUri', 'meetingCode', 'config', 'activeConference'].includes(key));
    if (unknownField) return googleError(400, `Invalid JSON payload received. Unknown name "${unknownField}": Cannot find field.`);
    const config = (input.config ?? {}) as Record<string, unknown>;
    const problem =
      enumProblem(config, 'accessType', ['OPEN', 'TRUSTED', 'RESTRICTED']) ?? enumProblem(config, 'entryPointAccess', ['ALL', 'CREATOR_APP_ONLY']);
    if (problem) return googleError(400, problem);
    const meetingCode = `${letters(3)}-${letters(4)}-${letters(3)}`;
    const space: FakeMeetSpace = {
      name: `spaces/${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
      meetingUri: `https://meet.google.com/${meetingCode}`,
      meetingCode,
      // Output-only fields in the request are ignored; unset settings take the user's defaults.
      config: { accessType: 'TRUSTED', entryPointAccess: 'ALL', ...config },
    };
    spaces.set(space.name, space);
    openSpaces.add(space.name);
    return { status: 200, body: space };
  }

  function spaceNamed(name: string): FakeMeetSpace | undefined {
    // `spaces/{meetingCode}` is an alias of the space's name (PROVIDERS.md §5.1).
    return spaces.get(name) ?? [...spaces.values()].find((s) => `spaces/${s.meetingCode}` === name);
  }

  function getSpace(name: string): FakeResponse {
    const space = spaceNamed(name);
    if (!space) return notFound();
    const live = liveConference(space.name);
    return { status: 200, body: { ...space, ...(live ? { activeConference: { conferenceRecord: live.name } } : {}) } };
  }

  function endActiveConference(name: string): FakeResponse {
    const space = spaceNamed(name);
    if (!space) return notFound();
    openSpaces.delete(space.name);
    const live = liveConference(space.name);
    if (live) endConference(live);
    else if ((options.endWithoutConference ?? 'failed-precondition') === 'failed-precondition') {
      return googleError(400, 'The space has no active conference.', 'FAILED_PRECONDITION');
    }
    return { status: 200, body: {} };
  }

  function listConferences(query: URLSearchParams): FakeResponse {
    const matches = compileRecordFilter(query.get('filter'));
    const records = conferences
      .filter((c) => matches({ space: c.space, meetingCode: spaces.get(c.space)!.meetingCode, startMs: c.startMs, endMs: c.endMs }))
      .sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(records, query, `conferenceRecords?${query.get('filter') ?? ''}`, rules);
    return listAnswer('conferenceRecords', page.map(recordJson), nextPageToken);
  }

  // PROVIDERS.md is silent on the order of participants and recordings: newest first here, so no adapter may rely on it.
  function listParticipants(conference: Conference, query: URLSearchParams): FakeResponse {
    if (query.get('filter')) return googleError(400, 'This fake does not implement participant filters');
    const ordered = [...conference.participants].sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(ordered, query, `${conference.name}/participants`, rules);
    const answer = listAnswer('participants', page.map(participantJson), nextPageToken);
    return { ...answer, body: { ...(answer.body as object), totalSize: ordered.length } };
  }

  function listRecordings(conference: Conference, query: URLSearchParams): FakeResponse {
    const ordered = [...conference.recordings].sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(ordered, query, `${conference.name}/recordings`, rules);
    const recordings = page.map((r) => ({
      name: r.name,
      state: 'FILE_GENERATED',
      startTime: time(r.startMs),
      endTime: time(r.endMs),
      driveDestination: { file: r.file, exportUri: `https://drive.google.com/file/d/${r.file}/view?usp=drive_web` },
    }));
    return listAnswer('recordings', recordings, nextPageToken);
  }

  function recordJson(c: Conference): Record<string, unknown> {
    return {
      name: c.name,
      startTime: time(c.startMs),
      ...(c.endMs === undefined ? {} : { endTime: time(c.endMs), expireTime: time(c.endMs + 30 * DAY_MS) }),
      space: c.space,
    };
  }

  function participantJson(p: Participant): Record<string, unknown> {
    return { name: p.name, ...p.identity, earliestStartTime: time(p.startMs), ...(p.endMs === undefined ? {} : { latestEndTime: time(p.endMs) }) };
  }

  function liveConference(space: string): Conference | undefined {
    return conferences.find((c) => c.space === space && c.endMs === undefined);
  }

  function endConference(conference: Conference): void {
    const at = now();
    conference.endMs = at;
    for (const participant of conference.participants) participant.endMs ??= at;
    openSpaces.delete(conference.space);
  }

  function identityOf(side: 'ops' | 'other'): Record<string, unknown> {
    if (side === 'ops') return { signedinUser: { user: deviceUser, displayName: 'Ops Room Device' } };
    switch (options.otherSide ?? 'anonymousUser') {
      case 'signedinUser':
        return { signedinUser: { user: `users/${randomDigits(21)}`, displayName: 'Member of the public' } };
      case 'phoneUser':
        return { phoneUser: { displayName: '+44 7911 ***456' } };
      default:
        return { anonymousUser: { displayName: 'Member of the public' } };
    }
  }

  function join(spaceName: string, side: 'ops' | 'other'): void {
    if (!spaces.has(spaceName)) throw new Error(`the Google Meet fake has no space ${spaceName}`);
    let conference = liveConference(spaceName);
    if (!conference) {
      conference = { name: `conferenceRecords/${randomBytes(12).toString('hex')}`, space: spaceName, startMs: now(), participants: [], recordings: [] };
      conferences.push(conference);
    }
    openSpaces.add(spaceName);
    const present = conference.participants.find((p) => p.side === side);
    if (present && present.endMs === undefined) throw new Error(`the ${side} side is already in ${spaceName}`);
    // A participant who rejoins keeps one resource: earliestStartTime stays, latestEndTime clears while active.
    if (present) delete present.endMs;
    else conference.participants.push({ name: `${conference.name}/participants/${randomDigits(19)}`, side, identity: identityOf(side), startMs: now() });
  }

  function leave(spaceName: string, side: 'ops' | 'other'): void {
    const participant = liveConference(spaceName)?.participants.find((p) => p.side === side && p.endMs === undefined);
    if (!participant) throw new Error(`the ${side} side is not in a live conference of ${spaceName}`);
    participant.endMs = now();
  }

  function recordingReady(spaceName: string): void {
    const conference = liveConference(spaceName) ?? conferences.filter((c) => c.space === spaceName).at(-1);
    if (!conference) throw new Error(`no conference in ${spaceName} to record`);
    const file = randomBytes(24).toString('base64url');
    conference.recordings.push({ name: `${conference.name}/recordings/${randomBytes(10).toString('hex')}`, startMs: conference.startMs, endMs: now(), file });
  }

  const server = await startFakeServer(handle, {
    errorBody: (status) => googleErrorBody(status, `injected ${status}`),
    latencyMs: options.latencyMs,
  });
  // Google answers a rate limit with Retry-After; an injected 429 without one gets the configured default.
  const injectFault = (fault: Fault) =>
    server.injectFault(
      fault.status === 429 && fault.headers?.['retry-after'] === undefined
        ? { ...fault, headers: { ...fault.headers, 'retry-after': String(options.retryAfterSeconds ?? 1) } }
        : fault,
    );

  return {
    rootUrl: `${server.origin}/`,
    tokenUrl: `${server.origin}/token`,
    clientId,
    clientSecret,
    refreshToken,
    deviceUser,
    requests: server.requests,
    injectFault,
    setLatency: server.setLatency,
    spaces: () => [...spaces.values()].map((s) => structuredClone(s)),
    expireAccessTokens: oauth.expireAccessTokens,
    revokeCredentials: oauth.revoke,
    failNext(operation, fault) {
      const path = operation === 'create' ? /^\/v2\/spaces$/ : /^\/v2\/spaces\/[^/]+:endActiveConference$/;
      injectFault({ ...fault, method: 'POST', path });
    },
    holdsCall: (providerCallId) => openSpaces.has(providerCallId),
    deliverWebhooksTo() {
      // Meet pushes nothing to this adapter: its lifecycle is read from conferenceRecords.
    },
    async play(step: LifecycleStep, spaceName: string, playOptions: { tamper?: unknown } = {}) {
      if (playOptions.tamper !== undefined) throw new Error('Google Meet sends no webhooks here, so there is nothing to tamper with');
      switch (step) {
        case 'ops-joined':
          join(spaceName, 'ops');
          break;
        case 'other-joined':
          join(spaceName, 'other');
          break;
        case 'ops-left':
          leave(spaceName, 'ops');
          break;
        case 'other-left':
          leave(spaceName, 'other');
          break;
        case 'call-ended': {
          const live = liveConference(spaceName);
          if (!live) throw new Error(`no live conference in ${spaceName} to end`);
          endConference(live);
          break;
        }
        case 'recording-ready':
          recordingReady(spaceName);
          break;
      }
      return [];
    },
    replay() {
      return Promise.reject(new Error('Google Meet sends no webhooks here, so there is nothing to replay'));
    },
    close: server.close,
  };
}

function listAnswer(field: string, items: unknown[], nextPageToken: string | undefined): FakeResponse {
  // proto3 JSON leaves out empty repeated fields, so an empty list is `{}`.
  return { status: 200, body: { ...(items.length > 0 ? { [field]: items } : {}), ...(nextPageToken ? { nextPageToken } : {}) } };
}

function notFound(): FakeResponse {
  return googleError(404, 'Requested entity was not found.');
}

function enumProblem(config: Record<string, unknown>, field: string, allowed: readonly string[]): string | undefined {
  const value = config[field];
  return value === undefined || allowed.includes(String(value)) ? undefined : `Invalid value at 'space.config.${field}', "${String(value)}"`;
}

function rfc3339(ms: number, fractionDigits: number): string {
  const iso = new Date(ms).toISOString();
  if (fractionDigits === 3) return iso;
  const base = iso.slice(0, 19);
  return fractionDigits === 0 ? `${base}Z` : `${base}.${iso.slice(20, 23).padEnd(fractionDigits, '0')}Z`;
}

function letters(count: number): string {
  return Array.from({ length: count }, () => String.fromCharCode(97 + randomInt(26))).join('');
}

function randomDigits(count: number): string {
  return `${randomInt(1, 10)}${Array.from({ length: count - 1 }, () => randomInt(10)).join('')}`;
}
