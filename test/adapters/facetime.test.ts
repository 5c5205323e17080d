import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { facetime, parseFaceTimeWebLink, type FaceTimeAdapter } from '../../src/adapters/facetime.js';
import { createBridge, type Bridge, type OpsRoom } from '../../src/index.js';
import memoryStore from '../../src/stores/memory.js';
import { startFaceTimeFake } from '../../src/testing/index.js';
import { startRequest } from '../support/sandbox.js';

const bridges: Bridge[] = [];
afterEach(async () => {
  while (bridges.length > 0) await bridges.pop()!.close();
});

const room = (id: string, handle: string): OpsRoom => ({
  id,
  name: `Ops room ${id}`,
  publishedPhoneNumber: '+442072221234',
  device: { id: `${id}-device`, handles: { facetime: handle } },
});

function bridgeFor(adapter: FaceTimeAdapter, rooms: OpsRoom[] = [room('room-a', '+442072221234')]): Bridge {
  const bridge = createBridge({ store: memoryStore(), adapters: [adapter], rooms, personalDataKey: randomBytes(32) });
  bridges.push(bridge);
  return bridge;
}

const SUPERVISOR = { collarNumber: 'SGT1', name: 'Sgt Apple' };

describe('facetime', () => {
  it('gives an iPhone a facetime: link to the ops device and says the route is the app', async () => {
    const adapter = facetime();
    const call = await bridgeFor(adapter).startVerification(startRequest({ citizen: { platform: 'ios', apps: ['facetime'] } }));
    expect(call.state).toBe('created');
    expect(call.decision?.kind === 'call' && call.decision.chosen.access).toBe('app');
    expect(call.join?.otherSide.url).toBe('facetime:+442072221234');
    const audio = await bridgeFor(facetime({ audioOnly: true })).startVerification(startRequest({ citizen: { platform: 'ios', apps: ['facetime'] } }));
    expect(audio.join?.otherSide.url).toBe('facetime-audio:+442072221234');
    await call.end();
    await audio.end();
  });

  it('gives an Android phone one pooled web link, retires it, logs only its fingerprint, and warns when links run low', async () => {
    const lows: { deviceId: string; remaining: number }[] = [];
    const adapter = facetime({ lowLinkThreshold: 1, onLinksLow: (report) => lows.push(report) });
    const links = startFaceTimeFake(adapter).createLinks(2);
    expect(adapter.registerLinks('room-a-device', links)).toEqual({ added: 2, remaining: 2 });
    const bridge = bridgeFor(adapter);
    const android = startRequest({ citizen: { platform: 'android', browser: true } });

    const first = await bridge.startVerification(android);
    expect(first.decision?.kind === 'call' && first.decision.chosen.access).toBe('browser');
    expect(first.join?.otherSide.url).toBe(links[0]);
    expect(lows).toEqual([{ deviceId: 'room-a-device', remaining: 1 }]);
    await first.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await first.attest({ fact: 'connected', supervisor: SUPERVISOR });
    await first.attest({ fact: 'ended', supervisor: SUPERVISOR });
    const logged = JSON.stringify(first.timeline());
    expect(logged).not.toContain(links[0]!.split('#')[1]);
    expect(first.timeline().find((e) => e.type === 'call.created')?.data.evidence).toMatchObject({ kind: 'web-link', link: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });

    const second = await bridge.startVerification(android);
    expect(second.join?.otherSide.url).toBe(links[1]);
    await second.end();
    expect(adapter.registerLinks('room-a-device', []).remaining).toBe(0);
  });

  it('routes an Android caller away from a device with no links left, saying so, and offers the phone numbers', async () => {
    const adapter = facetime();
    const call = await bridgeFor(adapter).startVerification(startRequest({ citizen: { platform: 'android', browser: true } }));
    expect(call.state).toBe('failed');
    expect(call.decision?.rejected).toEqual([
      expect.objectContaining({ provider: 'facetime', reason: 'device-unready', detail: expect.stringContaining('no FaceTime web links left') }),
    ]);
    expect(call.fallback).toMatchObject({ opsRoomPhoneNumber: '+442072221234', emergencyNumber: '999' });
  });

  it('refuses malformed, repeated and already-used web links, adding none of a bad batch', () => {
    const adapter = facetime();
    const [good, other] = startFaceTimeFake(adapter).createLinks(2) as [string, string];
    for (const bad of [
      'https://facetime.apple.com/join',
      'https://facetime.apple.com.evil.example/join#v=1&p=AAAAAAAAAAAA&k=BBBBBBBBBBBBBBBBBBBB',
      'http://facetime.apple.com/join#v=1&p=AAAAAAAAAAAA&k=BBBBBBBBBBBBBBBBBBBB',
      'https://facetime.apple.com/join?v=1&p=AAAAAAAAAAAA&k=BBBBBBBBBBBBBBBBBBBB',
      'https://facetime.apple.com/join#v=1&p=AAAAAAAAAAAA&k=BBBBBBBBBBBBBBBBBBBB<script>',
    ]) {
      expect(() => parseFaceTimeWebLink(bad)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
      expect(() => adapter.registerLinks('d', [other, bad])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'links[1]' } }));
    }
    expect(adapter.remainingLinks('d')).toBe(0);
    adapter.registerLinks('d', [good]);
    expect(() => adapter.registerLinks('d', [good])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => adapter.registerLinks('e', [other, other])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(adapter.remainingLinks('e')).toBe(0);
  });

  it('routes an iPhone to the app from its User-Agent alone, logging that it was inferred but not the User-Agent', async () => {
    const userAgent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
    const call = await bridgeFor(facetime()).startVerification(startRequest({ citizen: { userAgent } }));
    expect(call.join?.otherSide.url).toBe('facetime:+442072221234');
    const created = call.timeline()[0]!;
    expect(created.data.caller).toEqual({ platform: 'ios', apps: ['facetime'], browser: true, inferredFrom: 'user-agent' });
    expect(JSON.stringify(call.timeline())).not.toContain('Mobile/15E148');
    await call.end();
  });

  it('calls an iPhone back on her number, which the log never holds, and will not call back an Android phone', async () => {
    const bridge = bridgeFor(facetime());
    const call = await bridge.startVerification(startRequest({ flow: 'callback', citizen: { platform: 'ios', apps: ['facetime'], phoneNumber: '+447911123456' } }));
    expect(call.join?.opsDevice.url).toBe('facetime:+447911123456');
    expect(call.join?.otherSide.url).toBe('facetime:+442072221234');
    await call.attest({ fact: 'answered', supervisor: SUPERVISOR });
    await call.attest({ fact: 'ended', supervisor: SUPERVISOR });
    expect(JSON.stringify(call.timeline())).not.toContain('7911123456');
    const android = await bridge.startVerification(startRequest({ flow: 'callback', citizen: { platform: 'android', browser: true, phoneNumber: '+447911123456' } }));
    expect(android.state).toBe('failed');
    expect(android.decision?.rejected[0]).toMatchObject({ reason: 'device-unready', detail: expect.stringContaining('only an iPhone') });
  });

  it('passes over a device whose handle is neither a phone number nor an Apple ID', async () => {
    const call = await bridgeFor(facetime(), [room('room-a', 'not a handle')]).startVerification(startRequest({ citizen: { platform: 'ios', apps: ['facetime'] } }));
    expect(call.state).toBe('failed');
    expect(call.decision?.rejected[0]).toMatchObject({ reason: 'device-unready' });
  });

  it('refuses anything posted to its webhook path: FaceTime sends none', async () => {
    await expect(
      facetime().verifyWebhook({ method: 'POST', url: '/webhooks/facetime', headers: {}, rawBody: new Uint8Array(), receivedAtMs: Date.now() }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_INVALID', details: { reason: 'unsigned' } });
  });
});
