import { afterEach, describe, expect, it } from 'vitest';
import { startGoogleMeetFake, type GoogleMeetFake, type GoogleMeetFakeOptions } from '../../src/testing/index.js';

// The fake is checked with plain fetch here, so its faithfulness does not rest on the client it serves.
let fake: GoogleMeetFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

let clockMs = Date.parse('2030-03-01T09:00:00.000Z');
async function open(options: GoogleMeetFakeOptions = {}) {
  fake = await startGoogleMeetFake({ now: () => clockMs, ...options });
  const token = await grant(fake);
  const api = async (method: string, path: string, body?: unknown, bearer = token) => {
    const response = await fetch(new URL(path, fake!.rootUrl), {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  return { fake, token, api };
}

async function grant(target: GoogleMeetFake, form: Record<string, string> = {}) {
  const response = await fetch(target.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: target.refreshToken, client_id: target.clientId, client_secret: target.clientSecret, ...form }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return response.status === 200 ? String(body.access_token) : JSON.stringify({ status: response.status, body });
}

describe('Google Meet fake: OAuth', () => {
  it('mints bearer tokens for the refresh-token grant and refuses a wrong secret or a revoked grant, per RFC 6749', async () => {
    const { fake } = await open({ accessTokenLifetimeSeconds: 60 });
    const response = await fetch(fake.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: fake.refreshToken, client_id: fake.clientId, client_secret: fake.clientSecret }),
    });
    expect(await response.json()).toEqual({ access_token: expect.stringMatching(/^ya29\./), expires_in: 60, scope: 'https://www.googleapis.com/auth/meetings.space.created', token_type: 'Bearer' });
    expect(JSON.parse(await grant(fake, { client_secret: 'nope' }))).toEqual({ status: 401, body: { error: 'invalid_client', error_description: 'Unauthorized' } });
    expect(JSON.parse(await grant(fake, { grant_type: 'authorization_code' }))).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    fake.revokeCredentials();
    expect(JSON.parse(await grant(fake))).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } });
  });

  it("answers Google's error body for a missing, unknown, expired or revoked bearer token", async () => {
    const { fake, api, token } = await open();
    const missing = await api('POST', 'v2/spaces', {}, '');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ error: { code: 401, message: expect.stringContaining('missing required authentication'), status: 'UNAUTHENTICATED' } });
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect((await api('POST', 'v2/spaces', {}, 'ya29.made-up')).body.error.status).toBe('UNAUTHENTICATED');
    clockMs += 3_600_000;
    expect((await api('GET', 'v2/conferenceRecords', undefined, token)).status).toBe(401);
    const fresh = await grant(fake);
    expect((await api('GET', 'v2/conferenceRecords', undefined, fresh)).status).toBe(200);
    fake.revokeCredentials();
    expect((await api('GET', 'v2/conferenceRecords', undefined, fresh)).status).toBe(401);
  });

  it('refuses a token without the scope a method needs', async () => {
    const { api } = await open({ scopes: ['https://www.googleapis.com/auth/meetings.space.readonly'] });
    expect((await api('POST', 'v2/spaces', {})).body).toEqual({ error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' } });
    expect((await api('GET', 'v2/conferenceRecords')).status).toBe(200);
  });
});

describe('Google Meet fake: spaces', () => {
  it('creates spaces in the documented shape, finds them by name or meeting code, and refuses unknown input', async () => {
    const { api } = await open();
    const created = await api('POST', 'v2/spaces', { config: { accessType: 'OPEN' } });
    expect(created.body).toEqual({
      name: expect.stringMatching(/^spaces\/[A-Za-z0-9]{12}$/),
      meetingUri: `https://meet.google.com/${created.body.meetingCode}`,
      meetingCode: expect.stringMatching(/^[a-z]{3}-[a-z]{4}-[a-z]{3}$/),
      config: { accessType: 'OPEN', entryPointAccess: 'ALL' },
    });
    expect((await api('GET', `v2/spaces/${created.body.meetingCode}`)).body.name).toBe(created.body.name);
    expect((await api('POST', 'v2/spaces', { topic: 'x' })).body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((await api('POST', 'v2/spaces', { config: { accessType: 'PUBLIC' } })).status).toBe(400);
    expect((await api('GET', 'v2/spaces/nothingHere1')).body).toEqual({ error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
  });

  it('ends the live conference, and answers FAILED_PRECONDITION (or {} when so configured) when there is none', async () => {
    const { fake, api } = await open();
    const space = (await api('POST', 'v2/spaces', {})).body.name as string;
    expect(fake.holdsCall(space)).toBe(true);
    await fake.play('ops-joined', space);
    expect((await api('GET', `v2/${space}`)).body.activeConference).toEqual({ conferenceRecord: expect.stringMatching(/^conferenceRecords\//) });
    clockMs += 5_000;
    expect(await api('POST', `v2/${space}:endActiveConference`)).toMatchObject({ status: 200, body: {} });
    expect(fake.holdsCall(space)).toBe(false);
    const [record] = (await api('GET', 'v2/conferenceRecords')).body.conferenceRecords;
    expect(record).toEqual({
      name: expect.any(String),
      // Six fractional digits by default, as protobuf's JSON form writes microseconds.
      startTime: new Date(clockMs - 5_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
      endTime: expect.any(String),
      expireTime: expect.any(String),
      space,
    });
    expect(Date.parse(record.expireTime) - Date.parse(record.endTime)).toBe(30 * 86_400_000);
    expect((await api('POST', `v2/${space}:endActiveConference`)).body.error).toMatchObject({ code: 400, status: 'FAILED_PRECONDITION' });
    await fake.close();
    const lenient = await open({ endWithoutConference: 'empty' });
    const other = (await lenient.api('POST', 'v2/spaces', {})).body.name as string;
    expect(await lenient.api('POST', `v2/${other}:endActiveConference`)).toMatchObject({ status: 200, body: {} });
  });

  it('adds Retry-After to an injected 429 and speaks Google errors for every injected status', async () => {
    const { fake, api } = await open({ retryAfterSeconds: 7 });
    fake.failNext('create', { status: 429 });
    const limited = await api('POST', 'v2/spaces', {});
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.body.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    fake.injectFault({ status: 503 });
    expect((await api('GET', 'v2/conferenceRecords')).body.error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
  });
});

describe('Google Meet fake: conference records', () => {
  it('lists newest first, filters on space and end time, pages with opaque tokens, and leaves out empty lists', async () => {
    const { fake, api } = await open({ maxPageSize: 2, fractionDigits: 0 });
    const spaces = [(await api('POST', 'v2/spaces', {})).body.name as string, (await api('POST', 'v2/spaces', {})).body.name as string];
    expect((await api('GET', 'v2/conferenceRecords')).body).toEqual({});
    for (const space of [spaces[0]!, spaces[1]!, spaces[0]!]) {
      clockMs += 1_000;
      await fake.play('ops-joined', space);
      clockMs += 1_000;
      await fake.play('call-ended', space);
    }
    await fake.play('ops-joined', spaces[1]!);
    const first = await api('GET', 'v2/conferenceRecords');
    expect(first.body.conferenceRecords).toHaveLength(2);
    const second = await api('GET', `v2/conferenceRecords?pageToken=${first.body.nextPageToken}`);
    expect(second.body.nextPageToken).toBeUndefined();
    const all = [...first.body.conferenceRecords, ...second.body.conferenceRecords];
    expect(all.map((r: { startTime: string }) => r.startTime)).toEqual([...all.map((r: { startTime: string }) => r.startTime)].sort().reverse());
    expect(all[0].startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const ofFirst = await api('GET', `v2/conferenceRecords?filter=${encodeURIComponent(`space.name = "${spaces[0]}"`)}`);
    expect(ofFirst.body.conferenceRecords.map((r: { space: string }) => r.space)).toEqual([spaces[0], spaces[0]]);
    const live = await api('GET', `v2/conferenceRecords?filter=${encodeURIComponent('end_time IS NULL')}`);
    expect(live.body.conferenceRecords).toEqual([expect.objectContaining({ space: spaces[1] })]);
    expect((await api('GET', `v2/conferenceRecords?filter=${encodeURIComponent(`space.name = "${spaces[0]}"`)}&pageToken=${first.body.nextPageToken}`)).status).toBe(400);
    expect((await api('GET', `v2/conferenceRecords?filter=${encodeURIComponent('space.owner = "me"')}`)).body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
  });

  it('records who joined and left with their kind of identity, and recordings once their file exists', async () => {
    const { fake, api } = await open({ otherSide: 'phoneUser' });
    const space = (await api('POST', 'v2/spaces', {})).body.name as string;
    await fake.play('ops-joined', space);
    clockMs += 1_000;
    await fake.play('other-joined', space);
    clockMs += 1_000;
    await fake.play('other-left', space);
    await fake.play('recording-ready', space);
    const [record] = (await api('GET', 'v2/conferenceRecords')).body.conferenceRecords;
    const { participants, totalSize } = (await api('GET', `v2/${record.name}/participants`)).body;
    expect(totalSize).toBe(2);
    const [other, ops] = participants;
    expect(ops).toEqual({ name: `${record.name}/participants/${ops.name.split('/').at(-1)}`, signedinUser: { user: fake.deviceUser, displayName: expect.any(String) }, earliestStartTime: expect.any(String) });
    expect(other).toMatchObject({ phoneUser: { displayName: expect.any(String) }, latestEndTime: expect.any(String) });
    const { recordings } = (await api('GET', `v2/${record.name}/recordings`)).body;
    expect(recordings).toEqual([
      {
        name: expect.stringMatching(new RegExp(`^${record.name}/recordings/`)),
        state: 'FILE_GENERATED',
        startTime: record.startTime,
        endTime: expect.any(String),
        driveDestination: { file: expect.any(String), exportUri: expect.stringMatching(/^https:\/\//) },
      },
    ]);
    await expect(fake.play('ops-joined', space)).rejects.toThrow(/already in/);
    await expect(fake.play('ops-joined', space, { tamper: 'signature' })).rejects.toThrow(/no webhooks/);
  });
});
