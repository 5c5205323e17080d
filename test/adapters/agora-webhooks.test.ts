import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agora } from '../../src/adapters/agora.js';
import { agoraChannelUids, newAgoraChannel } from '../../src/adapters/agora/channel.js';
import { agoraSigningSecret, signAgoraNotification } from '../../src/adapters/agora/signature.js';
import type { ProviderEvent, WebhookResult } from '../../src/index.js';

const SECRET = 'ncs-secret-from-console';
const NOW = 1_900_000_000_000;
const channel = newAgoraChannel(NOW / 1000 + 1800);
const uids = agoraChannelUids(channel);
const adapter = agora({ webhookSecret: SECRET });

function notification(eventType: number, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ noticeId: `n-${eventType}-${Math.random()}`, productId: 1, eventType, notifyMs: NOW, payload, ...extra });
}

function deliver(body: string, headers: Record<string, string | undefined> = { 'agora-signature-v2': hmac('sha256', body) }, receivedAtMs = NOW) {
  return adapter.verifyWebhook({ method: 'POST', url: '/webhooks/agora', headers, rawBody: Buffer.from(body), receivedAtMs });
}

// Computed independently of the module under test.
function hmac(algorithm: 'sha1' | 'sha256', body: string, secret = SECRET): string {
  return createHmac(algorithm, secret).update(body, 'utf8').digest('hex');
}

function only(result: WebhookResult): ProviderEvent {
  if (result.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

describe('agora notification signatures', () => {
  const body = notification(101, { channelName: channel, ts: NOW / 1000 });

  it('is lower-case hex HMAC of the raw body keyed with the secret: SHA-256 for V2, SHA-1 for the old header', () => {
    expect(signAgoraNotification(SECRET, Buffer.from(body), 'sha256')).toBe(hmac('sha256', body));
    expect(signAgoraNotification(SECRET, Buffer.from(body), 'sha1')).toBe(hmac('sha1', body));
    expect(agoraSigningSecret(['older', SECRET], Buffer.from(body), hmac('sha256', body).toUpperCase(), 'sha256')).toBe(SECRET);
    expect(agoraSigningSecret(['older'], Buffer.from(body), hmac('sha256', body), 'sha256')).toBeUndefined();
    expect(agoraSigningSecret([SECRET], Buffer.from(`${body} `), hmac('sha256', body), 'sha256')).toBeUndefined();
    expect(agoraSigningSecret([SECRET], Buffer.from(body), 'zz', 'sha256')).toBeUndefined();
    expect(agoraSigningSecret([SECRET], Buffer.from(body), `${hmac('sha256', body)}zz`, 'sha256')).toBeUndefined();
    // Node's hex decoder drops an odd last digit: the signature with one more digit is another value.
    expect(agoraSigningSecret([SECRET], Buffer.from(body), `${hmac('sha256', body)}0`, 'sha256')).toBeUndefined();
    expect(agoraSigningSecret([SECRET], Buffer.from(body), ` ${hmac('sha256', body)}`, 'sha256')).toBeUndefined();
  });

  it('accepts V2, and the SHA-1 header alone only when told to', async () => {
    expect((await deliver(body)).kind).toBe('events');
    await expect(deliver(body, { 'agora-signature': hmac('sha1', body) })).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'unsigned' } });
    const lenient = agora({ webhookSecret: SECRET, acceptSha1Signature: true });
    const viaSha1 = await lenient.verifyWebhook({ method: 'POST', url: '/', headers: { 'agora-signature': hmac('sha1', body) }, rawBody: Buffer.from(body), receivedAtMs: NOW });
    expect(viaSha1.kind).toBe('events');
    // A valid SHA-1 signature cannot rescue a wrong V2 one.
    const both = { 'agora-signature-v2': hmac('sha256', body, 'other'), 'agora-signature': hmac('sha1', body) };
    await expect(lenient.verifyWebhook({ method: 'POST', url: '/', headers: both, rawBody: Buffer.from(body), receivedAtMs: NOW })).rejects.toMatchObject({
      details: { reason: 'signature' },
    });
  });

  it('refuses a signed body whose notifyMs is outside the tolerance, since Agora refreshes it on every resend', async () => {
    await expect(deliver(body, undefined, NOW + 301_000)).rejects.toMatchObject({ details: { reason: 'stale' } });
    await expect(deliver(body, undefined, NOW - 301_000)).rejects.toMatchObject({ details: { reason: 'stale' } });
    expect((await deliver(body, undefined, NOW + 299_000)).kind).toBe('events');
  });

  it('checks the signature before reading the body', async () => {
    await expect(deliver('not json', { 'agora-signature-v2': 'ab' })).rejects.toMatchObject({ details: { reason: 'signature' } });
    await expect(deliver('not json', { 'agora-signature-v2': hmac('sha256', 'not json') })).rejects.toMatchObject({ details: { reason: 'malformed' } });
  });
});

describe('agora event normalisation', () => {
  it('maps channel create and destroy to call start and end, timed by the payload ts in seconds', async () => {
    const started = only(await deliver(notification(101, { channelName: channel, ts: 1_900_000_001 })));
    expect(started).toMatchObject({ type: 'call.started', providerType: '101', providerCallId: channel, providerTime: { value: 1_900_000_001, unit: 'seconds' } });
    const ended = only(await deliver(notification(102, { channelName: channel, ts: 1_900_000_100, lastUid: uids.opsDevice })));
    expect(ended).toMatchObject({ type: 'call.ended', evidence: { lastUid: uids.opsDevice } });
  });

  it.each([
    [103, 'participant.joined'], [105, 'participant.joined'], [107, 'participant.joined'],
    [104, 'participant.left'], [106, 'participant.left'], [108, 'participant.left'],
  ] as const)('maps event %i to %s and tells the sides apart by uid', async (eventType, type) => {
    const leave = { reason: 3, duration: 42 };
    const payload = (uid: number) => ({ channelName: channel, uid, platform: 7, clientSeq: 1_625_051_030_746, ts: 1_900_000_002, ...(type === 'participant.left' ? leave : {}) });
    const ops = only(await deliver(notification(eventType, payload(uids.opsDevice))));
    expect(ops).toMatchObject({ type, participant: { role: 'ops-device', providerParticipantId: String(uids.opsDevice) }, evidence: { platform: 7, clientSeq: 1_625_051_030_746 } });
    if (type === 'participant.left') expect(ops.evidence).toMatchObject({ leaveReason: 3, durationSeconds: 42 });
    expect(only(await deliver(notification(eventType, payload(uids.otherSide)))).participant?.role).toBe('other-side');
    expect(only(await deliver(notification(eventType, payload(12345)))).participant?.role).toBe('unknown');
  });

  it('gives every copy of one event the same id, whatever its noticeId and notifyMs', async () => {
    const payload = { channelName: channel, uid: uids.otherSide, platform: 7, clientSeq: 99, ts: 1_900_000_002 };
    const first = only(await deliver(notification(107, payload, { noticeId: 'a' })));
    const copy = only(await deliver(notification(107, payload, { noticeId: 'b', notifyMs: NOW + 5000 })));
    const later = only(await deliver(notification(108, { ...payload, clientSeq: 100, reason: 1, duration: 5 })));
    expect(copy.providerEventId).toBe(first.providerEventId);
    expect(later.providerEventId).not.toBe(first.providerEventId);
    expect(first.evidence).toMatchObject({ noticeId: 'a' });
  });

  it('falls back to notifyMs (milliseconds) when a payload has no ts', async () => {
    expect(only(await deliver(notification(101, { channelName: channel }))).providerTime).toEqual({ value: NOW, unit: 'milliseconds' });
  });

  it('ignores role changes, other products and channels it did not create', async () => {
    const ignored = async (body: string) => expect((await deliver(body)).kind).toBe('ignored');
    await ignored(notification(111, { channelName: channel, uid: uids.opsDevice, clientSeq: 1, ts: 1 }));
    await ignored(notification(112, { channelName: channel, uid: uids.opsDevice, clientSeq: 1, ts: 1 }));
    await ignored(notification(40, { cname: channel }, { productId: 3 }));
    await ignored(notification(107, { channelName: 'someone-elses-channel', uid: 1, clientSeq: 1, ts: 1 }));
  });

  it('refuses a genuine body that lacks what the docs promise', async () => {
    for (const body of [
      JSON.stringify({ productId: 1, eventType: 101, notifyMs: NOW, payload: {} }),
      notification(101, {}),
      notification(107, { channelName: channel, ts: 1 }),
      notification(108, { channelName: channel, uid: 'x', ts: 1 }),
    ]) {
      await expect(deliver(body)).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'malformed' } });
    }
  });
});
