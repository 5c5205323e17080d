import { randomBytes, randomInt } from 'node:crypto';
import { startFakeServer, type FakeResponse, type Fault, type RecordedRequest } from './fake-server.js';
import { googleError, googleErrorBody } from './google-meet/google-error.js';
import { compileRecordFilter, ListRequestError, pageOf, type PageRules } from './google-meet/listing.js';
import { createMeetState, randomDigits, type FakeConference, type FakeMeetSpace } from './google-meet/meet-state.js';
import { createFakeOAuth, MEET_SCOPE_CREATED, MEET_SCOPE_READONLY } from './google-meet/oauth.js';
import type { LifecycleStep, ProviderFake } from './provider-fake.js';

export type { FakeMeetSpace } from './google-meet/meet-state.js';

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
  /** Access-token lifetime in seconds; PROVIDERS.md is silent, so it is configurable. @default 3599 */
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

// PROVIDERS.md gives these for conferenceRecords only; the fake applies them to every list.
const PAGE_RULES: PageRules = { defaultSize: 25, maxSize: 100 };
const READ_SCOPES = [MEET_SCOPE_CREATED, MEET_SCOPE_READONLY];
const SPACE_FIELDS = ['name', 'meetingUri', 'meetingCode', 'config', 'activeConference'];
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
  const state = createMeetState({ deviceUser, otherSide: options.otherSide ?? 'anonymousUser', now });
  const time = (ms: number) => rfc3339(ms, fractionDigits);

  function handle(request: RecordedRequest): FakeResponse {
    if (request.method === 'POST' && request.path === '/token') return oauth.token(request);
    const denied = oauth.authorise(request, request.method === 'POST' ? [MEET_SCOPE_CREATED] : READ_SCOPES);
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
    const conference = record && state.conferences().find((c) => c.name === record[1]);
    if (method === 'GET' && conference) {
      if (record[2] === 'participants') return listParticipants(conference, request.query);
      if (record[2] === 'recordings') return listRecordings(conference, request.query);
      return { status: 200, body: recordJson(conference) };
    }
    return notFound();
  }

  function createSpace(body: unknown): FakeResponse {
    const input = (body ?? {}) as Record<string, unknown>;
    if (typeof input !== 'object' || Array.isArray(input)) return googleError(400, 'Invalid JSON payload received.');
    const unknownField = Object.keys(input).find((key) => !SPACE_FIELDS.includes(key));
    if (unknownField) return googleError(400, `Invalid JSON payload received. Unknown name "${unknownField}": Cannot find field.`);
    const config = (input.config ?? {}) as Record<string, unknown>;
    const problem =
      enumProblem(config, 'accessType', ['OPEN', 'TRUSTED', 'RESTRICTED']) ?? enumProblem(config, 'entryPointAccess', ['ALL', 'CREATOR_APP_ONLY']);
    if (problem) return googleError(400, problem);
    // Output-only fields in the request are ignored, as Google ignores them.
    return { status: 200, body: state.createSpace(config) };
  }

  function getSpace(name: string): FakeResponse {
    const space = state.space(name);
    if (!space) return notFound();
    const live = state.liveConference(space.name);
    return { status: 200, body: { ...space, ...(live ? { activeConference: { conferenceRecord: live.name } } : {}) } };
  }

  function endActiveConference(name: string): FakeResponse {
    const space = state.space(name);
    if (!space) return notFound();
    state.release(space.name);
    const live = state.liveConference(space.name);
    if (live) state.endConference(live);
    else if ((options.endWithoutConference ?? 'failed-precondition') === 'failed-precondition') {
      return googleError(400, 'The space has no active conference.', 'FAILED_PRECONDITION');
    }
    return { status: 200, body: {} };
  }

  function listConferences(query: URLSearchParams): FakeResponse {
    const matches = compileRecordFilter(query.get('filter'));
    const records = state
      .conferences()
      .filter((c) => matches({ space: c.space, meetingCode: state.space(c.space)!.meetingCode, startMs: c.startMs, endMs: c.endMs }))
      .sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(records, query, `conferenceRecords?${query.get('filter') ?? ''}`, rules);
    return listAnswer({ conferenceRecords: page.map(recordJson) }, nextPageToken);
  }

  // PROVIDERS.md is silent on the order of participants and recordings: newest first here, so no adapter may rely on it.
  function listParticipants(conference: FakeConference, query: URLSearchParams): FakeResponse {
    if (query.get('filter')) return googleError(400, 'This fake does not implement participant filters');
    const ordered = [...conference.participants].sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(ordered, query, `${conference.name}/participants`, rules);
    const participants = page.map((p) => ({
      name: p.name,
      ...p.identity,
      earliestStartTime: time(p.startMs),
      ...(p.endMs === undefined ? {} : { latestEndTime: time(p.endMs) }),
    }));
    return listAnswer({ participants, totalSize: ordered.length }, nextPageToken);
  }

  function listRecordings(conference: FakeConference, query: URLSearchParams): FakeResponse {
    const ordered = [...conference.recordings].sort((a, b) => b.startMs - a.startMs);
    const { page, nextPageToken } = pageOf(ordered, query, `${conference.name}/recordings`, rules);
    const recordings = page.map((r) => ({
      name: r.name,
      state: 'FILE_GENERATED',
      startTime: time(r.startMs),
      endTime: time(r.endMs),
      driveDestination: { file: r.file, exportUri: `https://drive.google.com/file/d/${r.file}/view?usp=drive_web` },
    }));
    return listAnswer({ recordings }, nextPageToken);
  }

  function recordJson(c: FakeConference): Record<string, unknown> {
    return {
      name: c.name,
      startTime: time(c.startMs),
      ...(c.endMs === undefined ? {} : { endTime: time(c.endMs), expireTime: time(c.endMs + 30 * DAY_MS) }),
      space: c.space,
    };
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
    spaces: () => state.spaces().map((s) => structuredClone(s)),
    expireAccessTokens: oauth.expireAccessTokens,
    revokeCredentials: oauth.revoke,
    failNext(operation, fault) {
      const path = operation === 'create' ? /^\/v2\/spaces$/ : /^\/v2\/spaces\/[^/]+:endActiveConference$/;
      injectFault({ ...fault, method: 'POST', path });
    },
    holdsCall: (providerCallId) => state.isHeld(providerCallId),
    deliverWebhooksTo() {
      // Meet pushes nothing to this adapter: its lifecycle is read from conferenceRecords.
    },
    async play(step: LifecycleStep, spaceName: string, playOptions: { tamper?: unknown } = {}) {
      if (playOptions.tamper !== undefined) throw new Error('Google Meet sends no webhooks here, so there is nothing to tamper with');
      if (step === 'ops-joined' || step === 'other-joined') state.join(spaceName, step === 'ops-joined' ? 'ops' : 'other');
      else if (step === 'ops-left' || step === 'other-left') state.leave(spaceName, step === 'ops-left' ? 'ops' : 'other');
      else if (step === 'recording-ready') state.recordingReady(spaceName);
      else {
        const live = state.liveConference(spaceName);
        if (!live) throw new Error(`no live conference in ${spaceName} to end`);
        state.endConference(live);
      }
      return [];
    },
    replay() {
      return Promise.reject(new Error('Google Meet sends no webhooks here, so there is nothing to replay'));
    },
    close: server.close,
  };
}

// proto3 JSON leaves out empty repeated fields and zeros, so an empty list is `{}`.
function listAnswer(fields: Record<string, unknown>, nextPageToken: string | undefined): FakeResponse {
  const present = Object.entries(fields).filter(([, value]) => value !== 0 && !(Array.isArray(value) && value.length === 0));
  const body = Object.fromEntries(present);
  return { status: 200, body: { ...body, ...(nextPageToken ? { nextPageToken } : {}) } };
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
