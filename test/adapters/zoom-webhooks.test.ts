import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { zoom } from '../../src/adapters/zoom.js';
import { signZoomWebhook, zoomEncryptedToken, zoomSigningSecret } from '../../src/adapters/zoom/signature.js';
import { createBridge, type ProviderEvent, type WebhookRequest } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startWebhookReceiver, startZoomFake, type ZoomFake, type ZoomFakeOptions } from '../../src/testing/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A Zoom fake, an adapter and a bridge with one ops room, the fake delivering to the bridge. */
async function setup(fakeOptions: ZoomFakeOptions = {}) {
  const fake = await startZoomFake(fakeOptions);
  cleanups.push(() => fake.close());
  const adapter = zoom({
    accountId: fake.accountId,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookSecretToken: fake.webhookSecretToken,
    baseUrl: fake.baseUrl,
    oauthBaseUrl: fake.oauthBaseUrl,
    sleep: async () => undefined,
  });
  const store = memoryStore();
  cleanups.push(() => store.close());
  const bridge = createBridge({
    store,
    adapters: [adapter],
    rooms: [{ id: 'room', name: 'Ops room', publishedPhoneNumber: '+442072221234', device: { id: 'device', handles: { zoom: fake.host.email } } }],
    personalDataKey: randomBytes(32),
    sandbox: true,
  });
  cleanups.push(() => bridge.close());
  const rejections: string[] = [];
  bridge.on('webhook-rejected', (report) => rejections.push(report.reason));
  const receiver = await startWebhookReceiver(bridge);
  cleanups.push(() => receiver.close());
  fake.deliverWebhooksTo(receiver.urlFor('zoom'));
  const start = () =>
    bridge.startVerification({
      officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-1', name: 'PC Test', force: 'Test Constabulary' },
      reason: 'Testing Zoom webhooks end to end',
      flow: 'citizen-device',
      citizen: { platform: 'android', apps: ['zoom'], browser: true },
    });
  return { fake, adapter, bridge, store, rejections, start };
}

/** A delivery as Zoom would sign it, handed straight to the adapter. */
function signed(secret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1000)): WebhookRequest {
  const timestamp = String(timestampSeconds);
  return {
    method: 'POST',
    url: '/webhooks/zoom',
    headers: { 'x-zm-signature': signZoomWebhook(secret, timestamp, Buffer.from(body)), 'x-zm-request-timestamp': timestamp },
    rawBody: Buffer.from(body),
    receivedAtMs: Date.now(),
  };
}

const SECRET = 'webhook-secret-token-0123';
const adapterFor = (secret = SECRET) => zoom({ accountId: 'a', clientId: 'c', clientSecret: 's', webhookSecretToken: secret });
const meetingObject = { id: '81234567890', uuid: 'abc/DEF+ghi==', host_id: 'HOST-ID', topic: 't', type: 2, start_time: '2026-11-27T12:00:00Z', timezone: 'UTC', duration: 30 };
const joinedBody = (participant: Record<string, unknown>, eventTs = 1_795_000_000_000) =>
  JSON.stringify({ event: 'meeting.participant_joined', event_ts: eventTs, payload: { account_id: 'a', object: { ...meetingObject, participant } } });

async function eventOf(body: string): Promise<ProviderEvent> {
  const result = await adapterFor().verifyWebhook(signed(SECRET, body));
  if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
  return result.events[0]!;
}

describe('zoom signature scheme', () => {
  it('is v0= hex HMAC-SHA256 of "v0:{timestamp}:{body}" keyed with the secret token', () => {
    const body = '{"event":"meeting.ended"}';
    // Computed independently of the module under test.
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:1739923528:${body}`).digest('hex')}`;
    expect(signZoomWebhook(SECRET, '1739923528', Buffer.from(body))).toBe(expected);
    expect(zoomSigningSecret(['older-token', SECRET], '1739923528', Buffer.from(body), expected)).toBe(SECRET);
    expect(zoomSigningSecret(['older-token'], '1739923528', Buffer.from(body), expected)).toBeUndefined();
    expect(zoomSigningSecret([SECRET], '1739923529', Buffer.from(body), expected)).toBeUndefined();
    expect(zoomSigningSecret([SECRET], '1739923528', Buffer.from('{"event": "meeting.ended"}'), expected)).toBeUndefined();
    expect(zoomSigningSecret([SECRET], '1739923528', Buffer.from(body), 'v0=00')).toBeUndefined();
    expect(zoomEncryptedToken(SECRET, 'qgg8vlvZRS6UYooatFL8Aw')).toBe(createHmac('sha256', SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'));
  });
});

describe('zoom webhooks through the bridge', () => {
  it('answers the URL validation challenge as Zoom checks it, and logs nothing for it', async () => {
    const { fake, store } = await setup();
    const before = (await store.head()).size;
    const { valid, delivery } = await fake.validateEndpoint();
    expect(valid).toBe(true);
    expect(delivery.status).toBe(200);
    expect((await store.head()).size).toBe(before);
  });

  it('turns joins into a connected call with the host as the ops device, at the times Zoom gives', async () => {
    const { fake, start } = await setup();
    const call = await start();
    const [hostJoined] = await fake.play('ops-joined', call.providerCallId!);
    const [guestJoined] = await fake.play('other-joined', call.providerCallId!);
    expect(call.state).toBe('connected');
    const joins = call.timeline().filter((e) => e.type === 'participant.joined');
    expect(joins.map((e) => (e.data.participant as { role: string }).role)).toEqual(['ops-device', 'other-side']);
    const joinTime = (delivery: typeof hostJoined) => (JSON.parse(delivery!.sent.body).payload.object.participant.join_time as string).replace('Z', '.000Z');
    expect(joins.map((e) => e.providerAt)).toEqual([joinTime(hostJoined), joinTime(guestJoined)]);
  });

  it('holds a guest who joins before the host, as join_before_host=false does, and lets her in when the host starts', async () => {
    const { fake, start } = await setup();
    const call = await start();
    expect(await fake.play('other-joined', call.providerCallId!)).toEqual([]);
    expect(call.state).toBe('created');
    const deliveries = await fake.play('ops-joined', call.providerCallId!);
    expect(deliveries.map((d) => JSON.parse(d.sent.body).payload.object.participant.id)).toEqual([fake.host.id, '']);
    expect(call.state).toBe('connected');
  });

  it('keeps a replayed delivery once, and a retry re-signed with a new timestamp and request id once too', async () => {
    const { fake, adapter, store, rejections, start } = await setup();
    const call = await start();
    const [joined] = await fake.play('ops-joined', call.providerCallId!);
    const size = (await store.head()).size;
    expect(JSON.parse((await fake.replay(joined!)).responseBody)).toMatchObject({ duplicates: 1 });
    const retry = signed(fake.webhookSecretToken, joined!.sent.body, Math.floor(Date.now() / 1000) + 7);
    const [original, retried] = await Promise.all([adapter.verifyWebhook(signed(fake.webhookSecretToken, joined!.sent.body)), adapter.verifyWebhook(retry)]);
    expect(retried).toEqual(original);
    expect((await store.head()).size).toBe(size);
    expect(rejections).toContain('replayed');
  });

  it('logs recording.completed (numeric object.id) against the call, without any of its secrets', async () => {
    const { fake, store, start } = await setup();
    const call = await start();
    await fake.play('ops-joined', call.providerCallId!);
    const [recording] = await fake.play('recording-ready', call.providerCallId!);
    expect(recording!.status).toBe(200);
    const sent = JSON.parse(recording!.sent.body);
    expect(typeof sent.payload.object.id).toBe('number');
    const entry = call.timeline().find((e) => e.type === 'recording.ready');
    expect(entry?.data.evidence).toMatchObject({ recordingFiles: 2, fileTypes: ['M4A', 'MP4'], totalSizeBytes: 2_097_152 });
    const log = JSON.stringify(await store.readEntries());
    const meeting = fake.meetings()[0]!;
    const secrets = [
      sent.download_token, sent.payload.object.share_url, sent.payload.object.password, sent.payload.object.recording_play_passcode,
      sent.payload.object.recording_files[0].download_url, meeting.password, new URL(meeting.start_url).searchParams.get('zak'),
      new URL(meeting.join_url).searchParams.get('pwd'), fake.webhookSecretToken, fake.clientSecret,
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
  });

  it('logs the participant_left and meeting.ended Zoom sends after an API end as late, without a second cleanup', async () => {
    const { fake, bridge, start } = await setup({ webhooksOnApiEnd: true });
    const call = await start();
    await fake.play('ops-joined', call.providerCallId!);
    await fake.play('other-joined', call.providerCallId!);
    await call.end({ actor: 'supervisor:SGT1' });
    const late = await fake.settled();
    expect(late.map((d) => [JSON.parse(d.sent.body).event, d.status])).toEqual([
      ['meeting.participant_left', 200],
      ['meeting.participant_left', 200],
      ['meeting.ended', 200],
    ]);
    await bridge.idle();
    const after = call.timeline().filter((e) => e.source === 'provider' && e.data.late === true);
    expect(after.map((e) => e.type)).toEqual(['participant.left', 'participant.left', 'call.ended']);
    expect(call.timeline().filter((e) => e.type === 'call.cleaned-up')).toEqual([]);
    expect(fake.holdsCall(call.providerCallId!)).toBe(false);
  });

  it('answers 200 to a Zoom event outside a call lifecycle, and logs nothing', async () => {
    const { fake, store } = await setup();
    const size = (await store.head()).size;
    const delivery = await fake.send('meeting.started', meetingObject);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.responseBody)).toMatchObject({ ignored: expect.stringContaining('meeting.started') });
    expect((await store.head()).size).toBe(size);
  });
});

describe('zoom webhook normalisation', () => {
  it('gives a rejoin a new event id, from its new join time', async () => {
    const participant = { user_id: '16778241', user_name: 'Guest', id: '', participant_uuid: 'P-1', join_time: '2026-11-27T12:01:00Z' };
    const first = await eventOf(joinedBody(participant));
    const again = await eventOf(joinedBody({ ...participant, join_time: '2026-11-27T12:03:00Z' }, 1_795_000_200_000));
    expect(first).toMatchObject({ type: 'participant.joined', providerCallId: '81234567890', participant: { role: 'other-side', providerParticipantId: 'P-1' } });
    expect(first.providerEventId).toBe('meeting.participant_joined:abc/DEF+ghi==:P-1:2026-11-27T12:01:00Z');
    expect(again.providerEventId).not.toBe(first.providerEventId);
  });

  it('recognises the host by participant_user_id as well, and says unknown when the event names no host', async () => {
    expect((await eventOf(joinedBody({ user_id: '1', id: '', participant_user_id: 'HOST-ID', join_time: '2026-11-27T12:01:00Z' }))).participant?.role).toBe('ops-device');
    const hostless = JSON.stringify({
      event: 'meeting.participant_left',
      event_ts: 1_795_000_000_000,
      payload: { account_id: 'a', object: { ...meetingObject, host_id: undefined, participant: { user_id: '1', leave_time: '2026-11-27T12:09:00Z' } } },
    });
    expect(await eventOf(hostless)).toMatchObject({ type: 'participant.left', participant: { role: 'unknown' }, providerTime: { value: '2026-11-27T12:09:00Z' } });
  });

  it('ends the call at meeting.ended end_time, one id per meeting instance', async () => {
    const ended = (eventTs: number) =>
      JSON.stringify({ event: 'meeting.ended', event_ts: eventTs, payload: { account_id: 'a', object: { ...meetingObject, end_time: '2026-11-27T12:20:00Z' } } });
    const first = await eventOf(ended(1_795_000_000_000));
    expect(first).toMatchObject({ type: 'call.ended', providerTime: { value: '2026-11-27T12:20:00Z' }, providerEventId: 'meeting.ended:abc/DEF+ghi==' });
    expect((await eventOf(ended(1_795_000_009_000))).providerEventId).toBe(first.providerEventId);
  });

  it.each([
    ['no signature', (r: WebhookRequest) => ({ ...r, headers: { 'x-zm-request-timestamp': r.headers['x-zm-request-timestamp'] } }), 'unsigned'],
    ['a timestamp in milliseconds', (r: WebhookRequest) => signed(SECRET, Buffer.from(r.rawBody).toString(), Date.now()), 'stale'],
    ['a timestamp 301 s old', (r: WebhookRequest) => signed(SECRET, Buffer.from(r.rawBody).toString(), Math.floor(Date.now() / 1000) - 301), 'stale'],
    ['a signature by another secret', (r: WebhookRequest) => ({ ...r, headers: signed('other', Buffer.from(r.rawBody).toString()).headers }), 'signature'],
    ['the body re-spaced after signing', (r: WebhookRequest) => ({ ...r, rawBody: Buffer.from(JSON.stringify(JSON.parse(Buffer.from(r.rawBody).toString()), null, 1)) }), 'signature'],
    ['a signed body that is not JSON', () => signed(SECRET, 'not json'), 'malformed'],
    ['a participant event without its participant', () => signed(SECRET, JSON.stringify({ event: 'meeting.participant_joined', event_ts: 1, payload: { object: meetingObject } })), 'malformed'],
    ['a URL validation without plainToken', () => signed(SECRET, JSON.stringify({ event: 'endpoint.url_validation', event_ts: 1, payload: {} })), 'malformed'],
  ])('refuses a delivery with %s', async (_name, spoil, reason) => {
    const request = spoil(signed(SECRET, joinedBody({ user_id: '1', participant_uuid: 'P', join_time: '2026-11-27T12:01:00Z' })));
    await expect(adapterFor().verifyWebhook(request)).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason } });
  });

  it('accepts a timestamp 299 s old', async () => {
    const body = joinedBody({ user_id: '1', participant_uuid: 'P', join_time: '2026-11-27T12:01:00Z' });
    await expect(adapterFor().verifyWebhook(signed(SECRET, body, Math.floor(Date.now() / 1000) - 299))).resolves.toMatchObject({ kind: 'events' });
  });
});
