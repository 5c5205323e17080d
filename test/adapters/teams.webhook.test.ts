import { afterEach, describe, expect, it } from 'vitest';
import { teams, type TeamsAdapterOptions } from '../../src/adapters/teams.js';
import { graphPathOf } from '../../src/adapters/teams/call-records.js';
import { threadIdFromJoinWebUrl } from '../../src/adapters/teams/meetings.js';
import { callRecordIdOf } from '../../src/adapters/teams/notifications.js';
import { createBridge, type ProviderEvent, type WebhookRequest } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startFakeServer, startTeamsFake, startWebhookReceiver, type TeamsFake, type TeamsFakeOptions } from '../../src/testing/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A fake whose notifications land in a sink, so each test hands them to the adapter itself. */
async function setup(fakeOptions: TeamsFakeOptions = {}, adapterOptions: Partial<TeamsAdapterOptions> = {}) {
  const fake = await startTeamsFake(fakeOptions);
  cleanups.push(() => fake.close());
  const sink = await startFakeServer(() => ({ status: 202 }), { errorBody: () => ({}) });
  cleanups.push(() => sink.close());
  fake.deliverWebhooksTo(`${sink.origin}/webhooks/teams`);
  return { fake, adapter: adapterFor(fake, adapterOptions) };
}

function adapterFor(fake: TeamsFake, extra: Partial<TeamsAdapterOptions> = {}) {
  return teams({
    ...fake.adapterOptions,
    ...extra,
  });
}

function webhook(body: string, url = '/webhooks/teams'): WebhookRequest {
  return { method: 'POST', url, headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(body), receivedAtMs: Date.now() };
}

async function meetingThatEnded(fake: TeamsFake, adapter: ReturnType<typeof teams>) {
  const created = await adapter.createCall({ verificationId: 'vrf_1', flow: 'citizen-device', device: { id: 'dev', handle: fake.userId }, expiresAt: '2030-01-01T00:30:00.000Z' });
  for (const step of ['ops-joined', 'other-joined', 'other-left', 'ops-left'] as const) expect(await fake.play(step, created.providerCallId)).toEqual([]);
  const [delivery] = await fake.play('call-ended', created.providerCallId);
  return { created, delivery: delivery!, record: fake.callRecords().at(-1)! };
}

const graphReads = (fake: TeamsFake) => fake.requests.filter((r) => r.path.startsWith('/v1.0/communications/') || (r.method === 'GET' && r.path.endsWith('/onlineMeetings')));

describe('teams subscription validation', () => {
  it('echoes the validationToken URL-decoded, as text/plain, within the request', async () => {
    const adapter = teams({ clientState: 'unused-here' });
    const token = 'Validation: Testing client application reachability for subscription Request-Id: 1a2b+3c';
    const result = await adapter.verifyWebhook(webhook('', `/webhooks/teams?${new URLSearchParams({ validationToken: token })}`));
    expect(result).toEqual({
      kind: 'reply',
      reply: { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: token },
    });
  });

  it('refuses an empty validationToken as malformed', async () => {
    await expect(teams({ clientState: 's' }).verifyWebhook(webhook('', '/webhooks/teams?validationToken='))).rejects.toMatchObject({
      code: 'WEBHOOK_INVALID',
      details: { reason: 'malformed' },
    });
  });
});

describe('teams change notifications', () => {
  it.each(['unsigned', 'signature'] as const)('refuses a notification with tamper %s under that reason, and reads nothing from Graph', async (tamper) => {
    const { fake, adapter } = await setup();
    const created = await adapter.createCall({ verificationId: 'v', flow: 'citizen-device', device: { id: 'd', handle: fake.userId }, expiresAt: '2030-01-01T00:00:00.000Z' });
    const [delivery] = await fake.play('call-ended', created.providerCallId, { tamper });
    const failure = await adapter.verifyWebhook(webhook(delivery!.sent.body)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'WEBHOOK_INVALID', provider: 'teams', details: { reason: tamper } });
    expect(JSON.stringify(failure) + String(failure)).not.toContain(fake.clientState);
    expect(graphReads(fake)).toEqual([]);
  });

  it('refuses the whole delivery when any one notification has the wrong clientState', async () => {
    const { fake, adapter } = await setup();
    const good = { clientState: fake.clientState, changeType: 'created', resource: 'communications/callRecords/a' };
    const body = JSON.stringify({ value: [good, { ...good, clientState: 'guess' }] });
    await expect(adapter.verifyWebhook(webhook(body))).rejects.toMatchObject({ details: { reason: 'signature' } });
    expect(graphReads(fake)).toEqual([]);
  });

  it.each(['not json', '{}', '{"value":[]}', '{"value":[1]}', '{"value":{"clientState":"x"}}'])('refuses the malformed body %s', async (body) => {
    const { adapter } = await setup();
    await expect(adapter.verifyWebhook(webhook(body))).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'malformed' } });
  });

  it('refuses a notification that names two different call records', async () => {
    const { fake, adapter } = await setup();
    const notification = {
      clientState: fake.clientState,
      changeType: 'created',
      resource: 'communications/callRecords/one',
      resourceData: { '@odata.type': '#Microsoft.Graph.callrecord', id: 'two' },
    };
    await expect(adapter.verifyWebhook(webhook(JSON.stringify({ value: [notification] })))).rejects.toMatchObject({ details: { reason: 'malformed' } });
  });

  it('reads the call record from Graph and gives call.started, a participant.joined per participant and call.ended', async () => {
    const { fake, adapter } = await setup();
    const { created, delivery, record } = await meetingThatEnded(fake, adapter);
    const result = await adapter.verifyWebhook(webhook(delivery.sent.body));
    expect(result.kind).toBe('events');
    const events = (result as { events: ProviderEvent[] }).events;
    const guest = record.participants.find((p) => p.id !== fake.userId)!;
    const facts = { callRecordId: record.id, recordVersion: '1' };
    expect(events).toEqual([
      {
        type: 'call.started',
        providerType: 'callRecord.startDateTime',
        providerCallId: created.providerCallId,
        providerEventId: `${record.id}:1:call.started`,
        providerTime: { value: record.startDateTime },
        evidence: { ...facts, recordType: 'groupCall', modalities: ['audio', 'video'], threadId: created.evidence?.threadId },
      },
      {
        type: 'participant.joined',
        providerType: 'callRecord.participants_v2',
        providerCallId: created.providerCallId,
        providerEventId: `${record.id}:1:participant:${fake.userId}`,
        participant: { role: 'ops-device', providerParticipantId: fake.userId },
        evidence: facts,
      },
      {
        type: 'participant.joined',
        providerType: 'callRecord.participants_v2',
        providerCallId: created.providerCallId,
        providerEventId: `${record.id}:1:participant:${guest.id}`,
        participant: { role: 'other-side', providerParticipantId: guest.id },
        evidence: facts,
      },
      {
        type: 'call.ended',
        providerType: 'callRecord.endDateTime',
        providerCallId: created.providerCallId,
        providerEventId: `${record.id}:1:call.ended`,
        providerTime: { value: record.endDateTime },
        evidence: { ...facts, lastModifiedDateTime: record.lastModifiedDateTime },
      },
    ]);
    // Graph's 7-digit fractions are what the adapter passes on; the bridge normalises them.
    expect(record.startDateTime).toMatch(/\.\d{7}Z$/);
    expect(graphReads(fake).map((r) => `${r.path}?${r.query}`)).toEqual([
      `/v1.0/communications/callRecords/${record.id}?`,
      `/v1.0/communications/callRecords/${record.id}?%24expand=participants_v2`,
    ]);
    // No names or sign-in names of anyone reach the events.
    expect(JSON.stringify(events)).not.toMatch(/SANDBOX Ops Device|ops-device@|Guest/);
  });

  it('follows participants_v2@odata.nextLink page by page', async () => {
    const { fake, adapter } = await setup({ participantsPageSize: 1 });
    const { delivery, record } = await meetingThatEnded(fake, adapter);
    const result = await adapter.verifyWebhook(webhook(delivery.sent.body));
    const joined = (result as { events: ProviderEvent[] }).events.filter((e) => e.type === 'participant.joined');
    expect(joined.map((e) => e.participant?.role)).toEqual(['ops-device', 'other-side']);
    const paged = fake.requests.filter((r) => r.path === `/v1.0/communications/callRecords/${record.id}/participants_v2`);
    expect(paged).toHaveLength(1);
    expect(paged[0]!.query.get('$skiptoken')).toMatch(/\S/);
  });

  it('retries a throttled read after the Retry-After Graph asked for', async () => {
    const sleeps: number[] = [];
    const { fake, adapter } = await setup({}, { sleep: async (ms) => void sleeps.push(ms) });
    const { delivery } = await meetingThatEnded(fake, adapter);
    fake.injectFault({ status: 429, method: 'GET', path: /callRecords/, headers: { 'retry-after': '3' } });
    expect((await adapter.verifyWebhook(webhook(delivery.sent.body))).kind).toBe('events');
    expect(sleeps).toEqual([3000]);
  });

  it('ignores call records of meetings no ops device organised, after reading only the record', async () => {
    const { fake, adapter } = await setup();
    const { delivery } = await meetingThatEnded(fake, adapter);
    const stranger = adapterFor(fake);
    const before = graphReads(fake).length;
    const result = await stranger.verifyWebhook(webhook(delivery.sent.body));
    expect(result).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('is not a meeting of an ops device') });
    expect(graphReads(fake).length - before).toBe(1);
  });

  it('finds the meeting by its joinWebUrl when another process created it, and falls back to its thread id once deleted', async () => {
    const { fake, adapter } = await setup();
    const { created, delivery, record } = await meetingThatEnded(fake, adapter);
    const restarted = adapterFor(fake, { deviceUserIds: [fake.userId] });
    const found = (await restarted.verifyWebhook(webhook(delivery.sent.body))) as { events: ProviderEvent[] };
    expect(found.events.map((e) => e.providerCallId)).toEqual(Array(4).fill(created.providerCallId));
    const lookup = fake.requests.find((r) => r.method === 'GET' && r.path === `/v1.0/users/${fake.userId}/onlineMeetings`)!;
    expect(lookup.query.get('$filter')).toBe(`JoinWebUrl eq '${record.joinWebUrl}'`);

    await adapter.endCall({ verificationId: 'vrf_1', providerCallId: created.providerCallId });
    const afterDeletion = (await adapterFor(fake, { deviceUserIds: [fake.userId] }).verifyWebhook(webhook(delivery.sent.body))) as { events: ProviderEvent[] };
    const threadId = created.evidence?.threadId;
    expect(afterDeletion.events.map((e) => e.providerCallId)).toEqual(Array(4).fill(threadId));
    expect(afterDeletion.events.map((e) => e.participant?.role ?? 'none')).toEqual(['none', 'ops-device', 'other-side', 'none']);
  });

  it('ignores lifecycle notifications, deletions and other resources, once their clientState is right', async () => {
    const { fake, adapter } = await setup();
    const state = { clientState: fake.clientState };
    const body = JSON.stringify({
      value: [
        { ...state, lifecycleEvent: 'reauthorizationRequired', subscriptionId: 's' },
        { ...state, changeType: 'deleted', resource: 'communications/callRecords/x' },
        { ...state, changeType: 'created', resource: 'users/someone/messages/1' },
      ],
    });
    const result = await adapter.verifyWebhook(webhook(body));
    expect(result.kind).toBe('ignored');
    expect((result as { reason: string }).reason.split('; ')).toHaveLength(3);
    expect(graphReads(fake)).toEqual([]);
  });
});

describe('teams links', () => {
  it('reads the thread id from a join link whatever the case of its percent-escapes', () => {
    const thread = '19:meeting_M2Q3ZmQ2NTEtYWE5MS00MmJm@thread.v2';
    expect(threadIdFromJoinWebUrl('https://teams.microsoft.com/l/meetup-join/19%3ameeting_M2Q3ZmQ2NTEtYWE5MS00MmJm%40thread.v2/0?context=%7b%7d')).toBe(thread);
    expect(threadIdFromJoinWebUrl('https://teams.microsoft.com/l/meetup-join/19%3Ameeting_M2Q3ZmQ2NTEtYWE5MS00MmJm%40thread.v2/0')).toBe(thread);
    expect(threadIdFromJoinWebUrl('https://example.org/other')).toBeUndefined();
    expect(threadIdFromJoinWebUrl(null)).toBeUndefined();
  });

  it('follows a nextLink only below the configured Graph root, so the token goes nowhere else', () => {
    expect(graphPathOf('https://graph.microsoft.com/v1.0/communications/callRecords/a/participants_v2?$skiptoken=x', 'https://graph.microsoft.com')).toBe(
      '/v1.0/communications/callRecords/a/participants_v2?$skiptoken=x',
    );
    expect(graphPathOf('http://127.0.0.1:8080/graph/v1.0/x', 'http://127.0.0.1:8080/graph/')).toBe('/v1.0/x');
    expect(() => graphPathOf('https://attacker.example/v1.0/x', 'https://graph.microsoft.com')).toThrow(/not followed/);
    expect(() => graphPathOf('http://127.0.0.1:8080/elsewhere/v1.0/x', 'http://127.0.0.1:8080/graph')).toThrow(/not followed/);
  });
});

describe('teams through the bridge', () => {
  async function bridged() {
    const fake = await startTeamsFake();
    cleanups.push(() => fake.close());
    const adapter = adapterFor(fake);
    const store = memoryStore();
    const bridge = createBridge({
      store,
      adapters: [adapter],
      rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { skype: fake.userId } } }],
      personalDataKey: Buffer.alloc(32, 9),
      sandbox: true,
    });
    cleanups.push(() => store.close(), () => bridge.close());
    const receiver = await startWebhookReceiver(bridge);
    cleanups.push(() => receiver.close());
    fake.deliverWebhooksTo(receiver.urlFor('teams'));
    const call = await bridge.startVerification({
      officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Test', force: 'Test Constabulary' },
      reason: 'Checking the Teams adapter end to end',
      flow: 'citizen-device',
      citizen: { platform: 'android', apps: ['skype'] },
    });
    return { fake, bridge, store, call };
  }

  it('routes a citizen who names skype to teams, and logs Graph timings as provider evidence', async () => {
    const { fake, bridge, store, call } = await bridged();
    expect(call.state).toBe('created');
    expect(call.provider).toBe('teams');
    for (const step of ['ops-joined', 'other-joined', 'other-left', 'ops-left'] as const) await fake.play(step, call.providerCallId!);
    const [delivery] = await fake.play('call-ended', call.providerCallId!);
    expect(delivery!.status).toBe(200);
    await bridge.idle();
    const record = fake.callRecords()[0]!;
    const fromGraph = call.timeline().filter((e) => e.source === 'provider');
    expect(fromGraph.map((e) => [e.type, e.data.providerType])).toEqual([
      ['call.started', 'callRecord.startDateTime'],
      ['participant.joined', 'callRecord.participants_v2'],
      ['participant.joined', 'callRecord.participants_v2'],
      ['call.ended', 'callRecord.endDateTime'],
    ]);
    expect(fromGraph[0]!.providerAt).toBe(`${record.startDateTime.slice(0, 23)}Z`);
    expect(fromGraph[3]!.providerAt).toBe(`${record.endDateTime.slice(0, 23)}Z`);
    expect(call.state).toBe('ended');
    // The call ended on Graph's word, so the bridge deleted the meeting.
    expect(fake.holdsCall(call.providerCallId!)).toBe(false);

    const replay = await fake.replay(delivery!);
    expect(JSON.parse(replay.responseBody)).toMatchObject({ duplicates: 4 });
    const [revised] = await fake.reviseCallRecord(record.id);
    expect(JSON.parse(revised!.responseBody)).toMatchObject({ logged: 4, duplicates: 0 });
    expect(call.timeline().slice(-4).every((e) => e.data.late === true)).toBe(true);

    const log = JSON.stringify(await store.readEntries());
    for (const secret of [fake.clientSecret, fake.clientState, ...fake.issuedTokens()]) expect(log).not.toContain(secret);
    expect((await store.verify()).ok).toBe(true);
  });

  it('logs a record that arrives after the bridge ended the call as late evidence', async () => {
    const { fake, bridge, call } = await bridged();
    await fake.play('ops-joined', call.providerCallId!);
    await call.end({ actor: 'supervisor:SGT1' });
    const [delivery] = await fake.play('call-ended', call.providerCallId!);
    expect(delivery!.status).toBe(200);
    await bridge.idle();
    const late = call.timeline().filter((e) => e.source === 'provider');
    expect(late.map((e) => e.type)).toEqual(['call.started', 'participant.joined', 'call.ended']);
    expect(late.every((e) => e.data.late === true)).toBe(true);
  });
});

describe('teams notification fields of the wrong type', () => {
  // Graph sends a string; a body that names its type otherwise is read by its resource path, never thrown on.
  it('finds the call record by its resource when @odata.type is not a string', () => {
    const notification = {
      resource: 'communications/callRecords/rec-1',
      resourceData: { '@odata.type': [] as unknown as string, id: 'rec-1' },
    } as Parameters<typeof callRecordIdOf>[0];
    expect(callRecordIdOf(notification)).toBe('rec-1');
  });
});
