import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { agora } from '../../src/adapters/agora.js';
import { startAgoraFake, type AgoraFake } from '../../src/testing/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function start(options: Parameters<typeof startAgoraFake>[0] = {}): Promise<AgoraFake> {
  const fake = await startAgoraFake(options);
  closers.push(() => fake.close());
  return fake;
}

/** A callback endpoint that answers with `reply` and records what it received. */
async function endpoint(reply: (n: number) => { status: number; body: string }) {
  const received: { headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body) });
      const { status, body: text } = reply(received.length);
      res.writeHead(status).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

async function rest(fake: AgoraFake, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const auth = `Basic ${Buffer.from(`${fake.customerId}:${fake.customerSecret}`).toString('base64')}`;
  const response = await fetch(`${fake.baseUrl}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('agora fake: notifications', () => {
  it('signs with both headers, keeps the noticeId and refreshes notifyMs on resends, and stops after 3 retries', async () => {
    let clock = 1_900_000_000_000;
    const fake = await start({ now: () => (clock += 1000), resendDelaysMs: [0, 0, 0] });
    const refusing = await endpoint(() => ({ status: 200, body: 'OK' }));
    fake.deliverWebhooksTo(refusing.url);
    expect(await fake.send(101, { channelName: 'vcb-1-x', ts: 1 })).toHaveLength(4);
    const notices = refusing.received.map((r) => r.body);
    expect(new Set(notices.map((n) => n.noticeId)).size).toBe(1);
    expect(new Set(notices.map((n) => n.notifyMs)).size).toBe(4);
    expect(Object.keys(refusing.received[0]!.headers)).toEqual(expect.arrayContaining(['agora-signature', 'agora-signature-v2']));
    expect(Object.keys(notices[0]!)).toEqual(['noticeId', 'productId', 'eventType', 'notifyMs', 'sid', 'payload']);

    const accepting = await endpoint((n) => (n === 1 ? { status: 503, body: '{}' } : { status: 200, body: '{"ok":true}' }));
    fake.deliverWebhooksTo(accepting.url);
    expect((await fake.send(101, { channelName: 'vcb-1-x', ts: 1 })).map((d) => d.status)).toEqual([503, 200]);
  });

  it('signs only V2 when told to, and never resends a forged delivery', async () => {
    const fake = await start({ resendDelaysMs: [0, 0, 0], signatures: 'v2' });
    const refusing = await endpoint(() => ({ status: 401, body: '{"error":"WEBHOOK_INVALID"}' }));
    fake.deliverWebhooksTo(refusing.url);
    const [forged, ...resent] = await fake.send(101, { channelName: 'vcb-1-x', ts: 1 }, { tamper: 'signature' });
    expect(resent).toEqual([]);
    expect(Object.keys(forged!.sent.headers)).toEqual(['content-type', 'agora-signature-v2']);
    const verify = (secret: string) =>
      agora({ webhookSecret: secret }).verifyWebhook({ method: 'POST', url: '/', headers: forged!.sent.headers, rawBody: Buffer.from(forged!.sent.body), receivedAtMs: Date.now() });
    await expect(verify(fake.webhookSecret)).rejects.toMatchObject({ details: { reason: 'signature' } });
    const [genuine] = await fake.send(101, { channelName: 'vcb-1-x', ts: 1 });
    expect(refusing.received).toHaveLength(1 + 4);
    const accepted = await agora({ webhookSecret: fake.webhookSecret }).verifyWebhook({
      method: 'POST', url: '/', headers: genuine!.sent.headers, rawBody: Buffer.from(genuine!.sent.body), receivedAtMs: Date.now(),
    });
    expect(accepted.kind).toBe('events');
  });
});

describe('agora fake: RESTful API', () => {
  it('wants Basic auth with the customer ID and secret, JSON, and the right App ID', async () => {
    const fake = await start();
    expect((await rest(fake, 'POST', '/dev/v1/kicking-rule', {}, { authorization: 'Basic eDp5' })).status).toBe(401);
    expect((await rest(fake, 'POST', '/dev/v1/kicking-rule', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(await rest(fake, 'POST', '/dev/v1/kicking-rule', { appid: 'f'.repeat(32), cname: 'c', privileges: ['join_channel'] })).toEqual({
      status: 400,
      body: { message: 'invalid appid' },
    });
    expect((await rest(fake, 'GET', `/dev/v1/channel/${'f'.repeat(32)}`)).status).toBe(400);
  });

  it.each([
    [{ privileges: [] }, 400],
    [{ privileges: ['leave_channel'] }, 400],
    [{ cname: 'c', uid: 0, privileges: ['join_channel'] }, 400],
    [{ privileges: ['join_channel'] }, 400],
    [{ cname: 'c', time: 'soon', privileges: ['join_channel'] }, 400],
    [{ cname: 'c', privileges: ['join_channel'] }, 200],
  ])('validates a ban rule %j → %i', async (rule, status) => {
    const fake = await start();
    expect((await rest(fake, 'POST', '/dev/v1/kicking-rule', { appid: fake.appId, ...rule })).status).toBe(status);
  });

  it('clamps ban lengths as documented, and prefers time_in_seconds', async () => {
    const clock = 1_900_000_000_000;
    const fake = await start({ now: () => clock });
    for (const length of [{ time_in_seconds: 3 }, { time_in_seconds: 90_000 }, { time: 2000 }, { time: 2, time_in_seconds: 30 }, {}]) {
      expect((await rest(fake, 'POST', '/dev/v1/kicking-rule', { appid: fake.appId, cname: 'c', privileges: ['join_channel'], ...length })).body).toMatchObject({ status: 'success' });
    }
    expect(fake.rules().map((r) => r.expiresAt - clock / 1000)).toEqual([10, 86_430, 86_400, 30, 3600]);
  });

  it('kicks everyone in a banned channel (reason 3), destroys it, and lets no one back; time 0 only kicks', async () => {
    const fake = await start();
    const callbacks = await endpoint(() => ({ status: 200, body: '{}' }));
    fake.deliverWebhooksTo(callbacks.url);
    const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.example/agora' });
    const { providerCallId: channel, opsDevice, otherSide } = await adapter.createCall({
      verificationId: 'v', flow: 'citizen-device', device: { id: 'd', handle: 'h' }, expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    const uid = (join: unknown) => (join as { uid: number }).uid;
    await fake.play('ops-joined', channel);
    await fake.play('other-joined', channel);
    expect(await rest(fake, 'GET', `/dev/v1/channel/user/${fake.appId}/${channel}`)).toMatchObject({ body: { data: { channel_exist: true, mode: 1, total: 2 } } });
    expect((await rest(fake, 'GET', `/dev/v1/channel/${fake.appId}?page_size=1`)).body).toEqual({ success: true, data: { channels: [{ channel_name: channel, user_count: 2 }], total_size: 1 } });

    await rest(fake, 'POST', '/dev/v1/kicking-rule', { appid: fake.appId, cname: channel, uid: uid(otherSide), time: 0, privileges: ['join_channel'] });
    await fake.idle();
    expect(fake.members(channel)).toEqual([uid(opsDevice)]);
    await fake.play('other-joined', channel);

    await adapter.endCall({ verificationId: 'v', providerCallId: channel });
    await fake.idle();
    expect(fake.members(channel)).toEqual([]);
    const events = callbacks.received.map((r) => r.body as { eventType: number; payload: { reason?: number } });
    expect(events.slice(-3).map((e) => [e.eventType, e.payload.reason])).toEqual([[108, 3], [108, 3], [102, undefined]]);
    await expect(fake.play('ops-joined', channel)).rejects.toMatchObject({ code: 'BANNED' });
    expect(fake.holdsCall(channel)).toBe(false);
  });

  it('lets one uid in once: a second join with it pushes the first out (reason 5) and keeps the channel', async () => {
    const fake = await start({ userEvents: 'host' });
    const callbacks = await endpoint(() => ({ status: 200, body: '{}' }));
    fake.deliverWebhooksTo(callbacks.url);
    const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.example/agora' });
    const { providerCallId: channel } = await adapter.createCall({
      verificationId: 'v', flow: 'citizen-device', device: { id: 'd', handle: 'h' }, expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    await fake.play('ops-joined', channel);
    await fake.play('ops-joined', channel);
    const events = callbacks.received.map((r) => r.body as { eventType: number; payload: { reason?: number; clientSeq: number } });
    expect(events.map((e) => [e.eventType, e.payload.reason])).toEqual([[101, undefined], [103, undefined], [104, 5], [103, undefined]]);
    expect(events.slice(1).map((e) => e.payload.clientSeq)).toEqual([...events.slice(1).map((e) => e.payload.clientSeq)].sort((a, b) => a - b));
    expect(fake.members(channel)).toHaveLength(1);
  });

  it('refuses tokens once the app certificate is replaced, and has no create request to fail', async () => {
    const fake = await start();
    const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.example/agora' });
    const { providerCallId } = await adapter.createCall({
      verificationId: 'v', flow: 'citizen-device', device: { id: 'd', handle: 'h' }, expiresAt: new Date(Date.now() + 600_000).toISOString(),
    });
    expect(fake.holdsCall(providerCallId)).toBe(true);
    fake.revokeCredentials();
    expect(fake.holdsCall(providerCallId)).toBe(false);
    await expect(fake.play('ops-joined', providerCallId)).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(() => fake.failNext('create', { status: 503 })).toThrow(/no create request/);
  });
});
