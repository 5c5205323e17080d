import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { daily } from '../../src/adapters/daily.js';
import { signDailyMeetingToken } from '../../src/adapters/daily/meeting-token.js';
import { createBridge, type Bridge } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { DailyJoinRefused, startDailyFake, startWebhookReceiver, type DailyFake } from '../../src/testing/index.js';
import { room, startRequest } from '../support/sandbox.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

// The fake's clock moves only when told, so a token can be taken past its expiry.
async function open(): Promise<{ fake: DailyFake; bridge: Bridge; clock: { ms: number } }> {
  const clock = { ms: Date.now() };
  const fake = await startDailyFake({ now: () => clock.ms });
  const store = memoryStore();
  const bridge = createBridge({
    store,
    adapters: [daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl })],
    rooms: [room('room-a'), room('room-b')],
    personalDataKey: randomBytes(32),
  });
  const receiver = await startWebhookReceiver(bridge);
  fake.deliverWebhooksTo(receiver.urlFor('daily'));
  closers.push(() => fake.close(), () => store.close(), () => receiver.close(), () => bridge.close());
  return { fake, bridge, clock };
}

const tokenOf = (url: string) => new URL(url).searchParams.get('t')!;
const roomOf = (url: string) => new URL(url).pathname.slice(1);

// Changes one claim and keeps the original signature, as someone editing a token in a browser would.
function edited(token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...change };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

async function refusal(promise: Promise<unknown>): Promise<DailyJoinRefused> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DailyJoinRefused);
  return error as DailyJoinRefused;
}

describe('meeting tokens the daily adapter signs itself', () => {
  it('let both sides into their room at the fake, which then reports the call connected', async () => {
    const { fake, bridge } = await open();
    const call = await bridge.startVerification(startRequest());
    expect(fake.requests.some((r) => r.path === '/v1/meeting-tokens')).toBe(false);
    const { opsDevice, otherSide } = call.join!;
    for (const delivery of await fake.joinWithToken(roomOf(opsDevice.url), tokenOf(opsDevice.url))) expect(delivery.status).toBe(200);
    for (const delivery of await fake.joinWithToken(roomOf(otherSide.url), tokenOf(otherSide.url))) expect(delivery.status).toBe(200);
    expect(call.state).toBe('connected');
    // The owner flag in the token is what tells the ops device from the citizen in Daily's events.
    const joined = call.timeline().filter((e) => e.type === 'participant.joined').map((e) => (e.data.participant as { role: string }).role);
    expect(joined).toEqual(['ops-device', 'other-side']);
  });

  it('are refused when tampered with, expired, for another room, signed with another key or with no algorithm', async () => {
    const { fake, bridge, clock } = await open();
    const first = await bridge.startVerification(startRequest());
    const second = await bridge.startVerification(startRequest());
    const roomA = roomOf(first.join!.otherSide.url);
    const guest = tokenOf(first.join!.otherSide.url);

    expect((await refusal(fake.joinWithToken(roomA, edited(guest, { o: true })))).code).toBe('INVALID_TOKEN');
    expect((await refusal(fake.joinWithToken(roomA, guest.slice(0, -2)))).code).toBe('INVALID_TOKEN');
    expect((await refusal(fake.joinWithToken(roomOf(second.join!.otherSide.url), guest))).code).toBe('WRONG_ROOM');
    const otherKey = signDailyMeetingToken(randomBytes(16).toString('hex'), fake.domainId, { roomName: roomA, exp: 1893457800, isOwner: true, userId: 'x', userName: 'x' }, clock.ms);
    expect((await refusal(fake.joinWithToken(roomA, otherKey))).code).toBe('INVALID_TOKEN');
    const otherDomain = signDailyMeetingToken(fake.apiKey, 'another-domain', { roomName: roomA, exp: 1893457800, isOwner: true, userId: 'x', userName: 'x' }, clock.ms);
    expect((await refusal(fake.joinWithToken(roomA, otherDomain))).message).toContain('domain');
    const [, payload] = guest.split('.');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    expect((await refusal(fake.joinWithToken(roomA, unsigned))).code).toBe('INVALID_TOKEN');
    // A header naming another algorithm is refused even when the HS256 signature over it is right.
    const relabelled = `${Buffer.from('{"alg":"HS384","typ":"JWT"}').toString('base64url')}.${payload}`;
    const relabelledToken = `${relabelled}.${createHmac('sha256', fake.apiKey).update(relabelled).digest('base64url')}`;
    expect((await refusal(fake.joinWithToken(roomA, relabelledToken))).message).toContain('HS384');
    const noRoom = `${guest.split('.')[0]}.${Buffer.from(JSON.stringify({ d: fake.domainId, iat: 1 })).toString('base64url')}`;
    const noRoomToken = `${noRoom}.${createHmac('sha256', fake.apiKey).update(noRoom).digest('base64url')}`;
    expect((await refusal(fake.joinWithToken(roomA, noRoomToken))).message).toContain('no room');

    // Past the token's exp (the call's expiry) it admits nobody, even to a room that still stood.
    const exp = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')).exp as number;
    clock.ms = exp * 1000;
    expect((await refusal(fake.joinWithToken(roomA, guest))).code).toBe('TOKEN_EXPIRED');
  });

  it('stop working once the API key that signed them is revoked, as Daily checks the key at the door', async () => {
    const { fake, bridge } = await open();
    const call = await bridge.startVerification(startRequest());
    fake.revokeCredentials();
    expect((await refusal(fake.joinWithToken(roomOf(call.join!.opsDevice.url), tokenOf(call.join!.opsDevice.url)))).code).toBe('INVALID_TOKEN');
  });

  it('are refused for a room that was deleted', async () => {
    const { fake, bridge } = await open();
    const call = await bridge.startVerification(startRequest());
    await call.end();
    expect((await refusal(fake.joinWithToken(roomOf(call.join!.otherSide.url), tokenOf(call.join!.otherSide.url)))).code).toBe('NO_SUCH_ROOM');
  });
});
