import { describe, expect, it } from 'vitest';
import type { AdapterCapabilities, AdapterHealth, CallAdapter } from '../../src/core/adapter.js';
import type { DeviceLease } from '../../src/core/audit/store.js';
import { fallbackFailure } from '../../src/core/calls/call-view.js';
import { decideRoute, deviceHandle, orderByPreference, type RouteDecision, type RouteRequest } from '../../src/core/routing/router.js';
import type { OpsRoom } from '../../src/core/types.js';

interface FakeOptions {
  aliases?: string[];
  capabilities?: Partial<AdapterCapabilities>;
  health?: () => Promise<AdapterHealth>;
}

interface FakeAdapter extends CallAdapter {
  healthCalls: number;
}

function notUsed(): never {
  throw new Error('not used');
}

function fakeAdapter(provider: string, options: FakeOptions = {}): FakeAdapter {
  const adapter: FakeAdapter = {
    specificationVersion: 'v1',
    provider,
    ...(options.aliases ? { aliases: options.aliases } : {}),
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: 'browser',
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'webhook',
      recording: false,
      ...options.capabilities,
    },
    healthCalls: 0,
    createCall: async () => notUsed(),
    endCall: async () => notUsed(),
    verifyWebhook: async () => notUsed(),
    async health() {
      adapter.healthCalls += 1;
      return options.health ? options.health() : { ok: true };
    },
  };
  return adapter;
}

function room(id: string, handles: Record<string, string>, phone = '+442072221234'): OpsRoom {
  return { id, name: `Room ${id}`, publishedPhoneNumber: phone, device: { id: `dev-${id}`, handles } };
}

function lease(deviceId: string): DeviceLease {
  return { deviceId, holder: 'vrf_test', epoch: 1, expiresAtMs: 1_800_000_000_000 };
}

/** A lease function that grants every device except the busy ones, and records what it was asked. */
function leases(busy: string[] = []): { acquire: RouteRequest['acquireLease']; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    acquire: async (r) => {
      asked.push(r.id);
      return busy.includes(r.id) ? null : lease(r.device.id);
    },
  };
}

function request(overrides: Partial<RouteRequest>): RouteRequest {
  return {
    flow: 'citizen-device',
    caller: {},
    rooms: [],
    adapters: [],
    preference: [],
    emergencyNumber: '999',
    acquireLease: leases().acquire,
    ...overrides,
  };
}

describe('orderByPreference', () => {
  const a = fakeAdapter('alpha');
  const b = fakeAdapter('bravo');
  const c = fakeAdapter('charlie');
  const d = fakeAdapter('delta');
  const names = (list: CallAdapter[]): string[] => list.map((x) => x.provider);

  it('puts listed providers first in preference order, then the rest in registration order', () => {
    expect(names(orderByPreference([a, b, c, d], ['charlie', 'alpha']))).toEqual(['charlie', 'alpha', 'bravo', 'delta']);
    expect(names(orderByPreference([d, c, b, a], ['bravo']))).toEqual(['bravo', 'delta', 'charlie', 'alpha']);
  });

  it('keeps registration order with no preference, and ignores unknown names', () => {
    expect(names(orderByPreference([c, a, b], []))).toEqual(['charlie', 'alpha', 'bravo']);
    expect(names(orderByPreference([c, a, b], ['zulu', 'bravo']))).toEqual(['bravo', 'charlie', 'alpha']);
  });

  it('counts aliases in the preference list', () => {
    const teams = fakeAdapter('teams', { aliases: ['skype'] });
    const zoom = fakeAdapter('zoom');
    expect(names(orderByPreference([zoom, teams], ['skype', 'zoom']))).toEqual(['teams', 'zoom']);
  });

  it('does not mutate the adapters array', () => {
    const list = [a, b, c];
    orderByPreference(list, ['charlie']);
    expect(names(list)).toEqual(['alpha', 'bravo', 'charlie']);
  });
});

describe('deviceHandle', () => {
  it('finds the handle under the provider id or an alias, and ignores empty handles', () => {
    const teams = fakeAdapter('teams', { aliases: ['skype'] });
    expect(deviceHandle(room('r', { teams: 'ops@force' }), teams)).toBe('ops@force');
    expect(deviceHandle(room('r', { skype: 'live:ops' }), teams)).toBe('live:ops');
    expect(deviceHandle(room('r', { teams: '', skype: 'live:ops' }), teams)).toBe('live:ops');
    expect(deviceHandle(room('r', { zoom: 'z' }), teams)).toBeUndefined();
  });
});

describe('decideRoute', () => {
  it('takes the most preferred provider when everything fits', async () => {
    const daily = fakeAdapter('daily');
    const zoom = fakeAdapter('zoom');
    const r1 = room('r1', { daily: 'dev-daily', zoom: 'dev-zoom' }, '+442070000001');
    const decision = await decideRoute(request({ adapters: [daily, zoom], preference: ['zoom', 'daily'], rooms: [r1] }));
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen).toEqual({ provider: 'zoom', roomId: 'r1', roomName: 'Room r1', deviceId: 'dev-r1', handle: 'dev-zoom', access: 'browser' });
    expect(decision.lease).toEqual(lease('dev-r1'));
    expect(decision.rejected).toEqual([]);
    expect(decision.fallback).toEqual({ opsRoomPhoneNumber: '+442070000001', opsRoomName: 'Room r1', emergencyNumber: '999' });
  });

  it('tries unlisted providers after the listed ones, in registration order', async () => {
    const a = fakeAdapter('alpha', { capabilities: { flows: ['callback'] } });
    const b = fakeAdapter('bravo');
    const c = fakeAdapter('charlie');
    const decision = await decideRoute(
      request({ adapters: [a, b, c], preference: ['alpha'], rooms: [room('r1', { alpha: 'h', bravo: 'h', charlie: 'h' })] }),
    );
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen.provider).toBe('bravo');
    expect(decision.rejected).toEqual([{ provider: 'alpha', reason: 'flow-unsupported', detail: expect.any(String) }]);
  });

  it('honours an alias in the preference and a handle stored under an alias', async () => {
    const teams = fakeAdapter('teams', { aliases: ['skype'] });
    const daily = fakeAdapter('daily');
    const decision = await decideRoute(
      request({ adapters: [daily, teams], preference: ['skype'], rooms: [room('r1', { skype: 'live:ops', daily: 'd' })] }),
    );
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen).toEqual({ provider: 'teams', roomId: 'r1', roomName: 'Room r1', deviceId: 'dev-r1', handle: 'live:ops', access: 'browser' });
  });

  it("rejects a provider that cannot carry the flow ('flow-unsupported') and moves on", async () => {
    const facetime = fakeAdapter('facetime', { capabilities: { flows: ['officer-device'] } });
    const daily = fakeAdapter('daily');
    const decision = await decideRoute(
      request({ flow: 'callback', adapters: [facetime, daily], rooms: [room('r1', { facetime: 'f', daily: 'd' })] }),
    );
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen.provider).toBe('daily');
    expect(decision.rejected).toHaveLength(1);
    expect(decision.rejected[0]).toMatchObject({ provider: 'facetime', reason: 'flow-unsupported' });
    expect(decision.rejected[0]!.roomId).toBeUndefined();
    // A provider rejected for its flow is not even asked about its health.
    expect(facetime.healthCalls).toBe(0);
  });

  describe("'caller-cannot-use'", () => {
    it('when the provider does not reach the caller’s platform', async () => {
      const facetime = fakeAdapter('facetime', { capabilities: { platforms: ['ios'], access: 'app' } });
      const daily = fakeAdapter('daily');
      const decision = await decideRoute(
        request({
          caller: { platform: 'android', apps: ['facetime'] },
          adapters: [facetime, daily],
          rooms: [room('r1', { facetime: 'f', daily: 'd' })],
        }),
      );
      expect(decision.kind).toBe('call');
      if (decision.kind !== 'call') return;
      expect(decision.chosen.provider).toBe('daily');
      expect(decision.rejected).toEqual([{ provider: 'facetime', reason: 'caller-cannot-use', detail: expect.stringContaining('android') }]);
      expect(facetime.healthCalls).toBe(0);
    });

    it('when an app-only provider’s app is missing (absent or other apps)', async () => {
      const whatsapp = fakeAdapter('whatsapp', { capabilities: { access: 'app' } });
      const daily = fakeAdapter('daily');
      for (const caller of [{}, { apps: ['zoom', 'teams'] }, { apps: [] }]) {
        const decision = await decideRoute(
          request({ caller, adapters: [whatsapp, daily], rooms: [room('r1', { whatsapp: 'w', daily: 'd' })] }),
        );
        expect(decision.kind).toBe('call');
        if (decision.kind !== 'call') return;
        expect(decision.chosen.provider).toBe('daily');
        expect(decision.rejected).toEqual([{ provider: 'whatsapp', reason: 'caller-cannot-use', detail: expect.stringContaining('whatsapp') }]);
      }
    });

    it('accepts an app-only provider when the caller has the app under its id or an alias', async () => {
      const teams = fakeAdapter('teams', { aliases: ['skype'], capabilities: { access: 'app' } });
      for (const apps of [['teams'], ['skype']]) {
        const decision = await decideRoute(request({ caller: { apps }, adapters: [teams], rooms: [room('r1', { teams: 't' })] }));
        expect(decision.kind).toBe('call');
      }
    });

    it('when a browser-only provider meets a caller with browser: false', async () => {
      const daily = fakeAdapter('daily', { capabilities: { access: 'browser' } });
      const whatsapp = fakeAdapter('whatsapp', { capabilities: { access: 'app' } });
      const decision = await decideRoute(
        request({
          caller: { browser: false, apps: ['whatsapp'] },
          adapters: [daily, whatsapp],
          rooms: [room('r1', { daily: 'd', whatsapp: 'w' })],
        }),
      );
      expect(decision.kind).toBe('call');
      if (decision.kind !== 'call') return;
      expect(decision.chosen.provider).toBe('whatsapp');
      expect(decision.rejected).toEqual([{ provider: 'daily', reason: 'caller-cannot-use', detail: expect.any(String) }]);
      expect(daily.healthCalls).toBe(0);
    });

    it('a browser-only provider is fine when browser is unknown', async () => {
      const daily = fakeAdapter('daily');
      const decision = await decideRoute(request({ caller: { platform: 'ios' }, adapters: [daily], rooms: [room('r1', { daily: 'd' })] }));
      expect(decision.kind).toBe('call');
    });
  });

  describe("'provider-unhealthy'", () => {
    it('when health returns ok: false', async () => {
      const zoom = fakeAdapter('zoom', { health: async () => ({ ok: false, reason: 'rate limited' }) });
      const daily = fakeAdapter('daily');
      const decision = await decideRoute(request({ adapters: [zoom, daily], rooms: [room('r1', { zoom: 'z', daily: 'd' })] }));
      expect(decision.kind).toBe('call');
      if (decision.kind !== 'call') return;
      expect(decision.chosen.provider).toBe('daily');
      expect(decision.rejected).toEqual([{ provider: 'zoom', reason: 'provider-unhealthy', detail: expect.stringContaining('rate limited') }]);
    });

    it('when health throws synchronously or returns a rejected promise', async () => {
      const thrower = fakeAdapter('zoom');
      // Not async: throws synchronously from the call itself.
      thrower.health = () => {
        thrower.healthCalls += 1;
        throw new Error('boom');
      };
      const rejecter = fakeAdapter('agora', { health: () => Promise.reject(new Error('kaput')) });
      const daily = fakeAdapter('daily');
      const decision = await decideRoute(
        request({ adapters: [thrower, rejecter, daily], rooms: [room('r1', { zoom: 'z', agora: 'a', daily: 'd' })] }),
      );
      expect(decision.kind).toBe('call');
      if (decision.kind !== 'call') return;
      expect(decision.chosen.provider).toBe('daily');
      expect(decision.rejected).toEqual([
        { provider: 'zoom', reason: 'provider-unhealthy', detail: expect.stringContaining('boom') },
        { provider: 'agora', reason: 'provider-unhealthy', detail: expect.stringContaining('kaput') },
      ]);
    });
  });

  it("'no-handle' names the room, and routing moves on to the next room", async () => {
    const daily = fakeAdapter('daily');
    const r1 = room('r1', { zoom: 'z' }, '+442070000001');
    const r2 = room('r2', { daily: '' }, '+442070000002');
    const r3 = room('r3', { daily: 'd3' }, '+442070000003');
    const decision = await decideRoute(request({ adapters: [daily], rooms: [r1, r2, r3] }));
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen).toEqual({ provider: 'daily', roomId: 'r3', roomName: 'Room r3', deviceId: 'dev-r3', handle: 'd3', access: 'browser' });
    expect(decision.rejected).toEqual([
      { provider: 'daily', roomId: 'r1', reason: 'no-handle', detail: expect.any(String) },
      { provider: 'daily', roomId: 'r2', reason: 'no-handle', detail: expect.any(String) },
    ]);
    // The fallback offered with a call is the chosen room's number.
    expect(decision.fallback).toEqual({ opsRoomPhoneNumber: '+442070000003', opsRoomName: 'Room r3', emergencyNumber: '999' });
  });

  it("'device-busy' when the lease is refused, then the next room, then the next provider", async () => {
    const zoom = fakeAdapter('zoom');
    const daily = fakeAdapter('daily');
    const r1 = room('r1', { zoom: 'z1', daily: 'd1' });
    const r2 = room('r2', { zoom: 'z2', daily: 'd2' });
    const r3 = room('r3', { daily: 'd3' });
    const lease = leases(['r1', 'r2']);
    const decision = await decideRoute(
      request({ adapters: [zoom, daily], preference: ['zoom'], rooms: [r1, r2, r3], acquireLease: lease.acquire }),
    );
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen).toEqual({ provider: 'daily', roomId: 'r3', roomName: 'Room r3', deviceId: 'dev-r3', handle: 'd3', access: 'browser' });
    expect(decision.rejected).toEqual([
      { provider: 'zoom', roomId: 'r1', reason: 'device-busy', detail: expect.any(String) },
      { provider: 'zoom', roomId: 'r2', reason: 'device-busy', detail: expect.any(String) },
      { provider: 'zoom', roomId: 'r3', reason: 'no-handle', detail: expect.any(String) },
      { provider: 'daily', roomId: 'r1', reason: 'device-busy', detail: expect.any(String) },
      { provider: 'daily', roomId: 'r2', reason: 'device-busy', detail: expect.any(String) },
    ]);
    // No lease was asked for a room without a handle.
    expect(lease.asked).toEqual(['r1', 'r2', 'r1', 'r2', 'r3']);
  });

  it('lists every rejected candidate and falls back to the phone with the first room’s number', async () => {
    const facetime = fakeAdapter('facetime', { capabilities: { flows: ['officer-device'] } });
    const whatsapp = fakeAdapter('whatsapp', { capabilities: { access: 'app' } });
    const zoom = fakeAdapter('zoom', { health: async () => ({ ok: false }) });
    const daily = fakeAdapter('daily');
    const teams = fakeAdapter('teams');
    const r1 = room('r1', { daily: 'd1' }, '+442070000001');
    const r2 = room('r2', { teams: 't2' }, '+442070000002');
    const lease = leases(['r1', 'r2']);
    const decision = await decideRoute(
      request({
        flow: 'citizen-device',
        caller: { apps: [] },
        adapters: [facetime, whatsapp, zoom, daily, teams],
        rooms: [r1, r2],
        emergencyNumber: '112',
        acquireLease: lease.acquire,
      }),
    );
    expect(decision).toEqual({
      kind: 'phone-fallback',
      rejected: [
        { provider: 'facetime', reason: 'flow-unsupported', detail: expect.any(String) },
        { provider: 'whatsapp', reason: 'caller-cannot-use', detail: expect.any(String) },
        { provider: 'zoom', reason: 'provider-unhealthy', detail: expect.stringContaining('no reason given') },
        { provider: 'daily', roomId: 'r1', reason: 'device-busy', detail: expect.any(String) },
        { provider: 'daily', roomId: 'r2', reason: 'no-handle', detail: expect.any(String) },
        { provider: 'teams', roomId: 'r1', reason: 'no-handle', detail: expect.any(String) },
        { provider: 'teams', roomId: 'r2', reason: 'device-busy', detail: expect.any(String) },
      ],
      fallback: { opsRoomPhoneNumber: '+442070000001', opsRoomName: 'Room r1', emergencyNumber: '112' },
    });
  });

  it('with no rooms offers only the emergency number', async () => {
    const daily = fakeAdapter('daily');
    const decision = await decideRoute(request({ adapters: [daily], rooms: [] }));
    expect(decision).toEqual({ kind: 'phone-fallback', rejected: [], fallback: { emergencyNumber: '999' } });
    expect('opsRoomPhoneNumber' in decision.fallback).toBe(false);
  });

  it('with no adapters falls back without throwing', async () => {
    const decision = await decideRoute(request({ adapters: [], rooms: [room('r1', {}, '+442070000009')] }));
    expect(decision).toEqual({
      kind: 'phone-fallback',
      rejected: [],
      fallback: { opsRoomPhoneNumber: '+442070000009', opsRoomName: 'Room r1', emergencyNumber: '999' },
    });
  });

  it('never throws when every provider fails its health check', async () => {
    const adapters = ['a', 'b', 'c'].map((name) =>
      fakeAdapter(name, {
        health: () => {
          throw 'not even an Error';
        },
      }),
    );
    const decision = await decideRoute(request({ adapters, rooms: [room('r1', { a: 'x', b: 'y', c: 'z' })] }));
    expect(decision.kind).toBe('phone-fallback');
    expect(decision.rejected.map((r) => [r.provider, r.reason])).toEqual([
      ['a', 'provider-unhealthy'],
      ['b', 'provider-unhealthy'],
      ['c', 'provider-unhealthy'],
    ]);
    expect(decision.rejected[0]!.detail).toContain('not even an Error');
  });

  it('calls health() once per provider per decision, even with several rooms', async () => {
    const zoom = fakeAdapter('zoom');
    const daily = fakeAdapter('daily');
    const rooms = ['r1', 'r2', 'r3', 'r4'].map((id) => room(id, { zoom: `z-${id}`, daily: `d-${id}` }));
    const lease = leases(['r1', 'r2', 'r3']);
    const decision = await decideRoute(request({ adapters: [zoom, daily], rooms, acquireLease: lease.acquire }));
    expect(decision.kind).toBe('call');
    if (decision.kind !== 'call') return;
    expect(decision.chosen).toMatchObject({ provider: 'zoom', roomId: 'r4' });
    expect(zoom.healthCalls).toBe(1);
    // The decision was made before daily was reached.
    expect(daily.healthCalls).toBe(0);

    const allBusy = leases(['r1', 'r2', 'r3', 'r4']);
    const second = await decideRoute(request({ adapters: [zoom, daily], rooms, acquireLease: allBusy.acquire }));
    expect(second.kind).toBe('phone-fallback');
    expect(second.rejected).toHaveLength(8);
    expect(zoom.healthCalls).toBe(2);
    expect(daily.healthCalls).toBe(1);
  });
});

describe('per-platform access and device readiness', () => {
  const facetimeLike = (checkDevice?: CallAdapter['checkDevice']) => {
    const adapter = fakeAdapter('facetime', { capabilities: { access: 'browser', accessByPlatform: { ios: 'app' } } });
    return checkDevice ? { ...adapter, checkDevice } : adapter;
  };

  it('says an iPhone joins with the app and an Android phone with a browser link', async () => {
    const r1 = room('r1', { facetime: '+442072221234' });
    const onIphone = await decideRoute(request({ adapters: [facetimeLike()], rooms: [r1], caller: { platform: 'ios', apps: ['facetime'] } }));
    expect(onIphone.kind === 'call' && onIphone.chosen.access).toBe('app');
    const onAndroid = await decideRoute(request({ adapters: [facetimeLike()], rooms: [r1], caller: { platform: 'android', browser: true } }));
    expect(onAndroid.kind === 'call' && onAndroid.chosen.access).toBe('browser');
    const iphoneWithoutApp = await decideRoute(request({ adapters: [facetimeLike()], rooms: [r1], caller: { platform: 'ios', apps: [] } }));
    expect(iphoneWithoutApp.rejected.map((r) => r.reason)).toEqual(['caller-cannot-use']);
  });

  it('skips a device that is not ready, asking it with the access the caller needs, before taking its lease', async () => {
    const asked: unknown[] = [];
    const adapter = facetimeLike(async (check) => {
      asked.push(check);
      return check.device.id === 'dev-r1' ? 'no FaceTime web links left' : undefined;
    });
    const lease = leases();
    const decision = await decideRoute(
      request({ adapters: [adapter], rooms: [room('r1', { facetime: 'a@example.test' }), room('r2', { facetime: 'b@example.test' })], caller: { platform: 'android', browser: true }, acquireLease: lease.acquire }),
    );
    expect(decision.kind === 'call' && decision.chosen.roomId).toBe('r2');
    expect(decision.rejected).toEqual([{ provider: 'facetime', roomId: 'r1', reason: 'device-unready', detail: 'Room r1: no FaceTime web links left' }]);
    expect(asked[0]).toEqual({ device: { id: 'dev-r1', handle: 'a@example.test' }, otherSide: { platform: 'android', access: 'browser' }, flow: 'citizen-device' });
    expect(lease.asked).toEqual(['r2']);
  });

  it('counts a device check that throws as not ready', async () => {
    const adapter = facetimeLike(async () => {
      throw new Error('pool unreadable');
    });
    const decision = await decideRoute(request({ adapters: [adapter], rooms: [room('r1', { facetime: 'a@example.test' })], caller: { platform: 'android', browser: true } }));
    expect(decision.kind).toBe('phone-fallback');
    expect(decision.rejected[0]).toMatchObject({ reason: 'device-unready', detail: expect.stringContaining('pool unreadable') });
  });
});

describe('the failure code of a phone fallback', () => {
  const fallbackOf = async (overrides: Partial<RouteRequest>) => {
    const decision = await decideRoute(request({ caller: { apps: [] }, acquireLease: leases(['r1', 'r2']).acquire, ...overrides }));
    if (decision.kind !== 'phone-fallback') throw new Error('expected a phone fallback');
    return { reasons: decision.rejected.map((r) => r.reason), code: fallbackFailure(decision).code };
  };

  it('is DEVICE_BUSY only when every candidate passed over was a busy device', async () => {
    const rooms = [room('r1', { daily: 'd1' }), room('r2', { daily: 'd2' })];
    expect(await fallbackOf({ adapters: [fakeAdapter('daily')], rooms })).toEqual({ reasons: ['device-busy', 'device-busy'], code: 'DEVICE_BUSY' });
  });

  it.each([
    ['a room without a handle', [fakeAdapter('daily')], [room('r1', { daily: 'd1' }), room('r2', { zoom: 'z2' })], 'no-handle'],
    ['an unhealthy provider', [fakeAdapter('zoom', { health: async () => ({ ok: false }) }), fakeAdapter('daily')], [room('r1', { daily: 'd1', zoom: 'z1' })], 'provider-unhealthy'],
    ['a provider the caller cannot use', [fakeAdapter('whatsapp', { capabilities: { access: 'app' } }), fakeAdapter('daily')], [room('r1', { daily: 'd1', whatsapp: 'w1' })], 'caller-cannot-use'],
    ['a device that is not ready', [{ ...fakeAdapter('zoom'), checkDevice: async () => 'no links left' }, fakeAdapter('daily')], [room('r1', { daily: 'd1', zoom: 'z1' })], 'device-unready'],
  ])('is NO_ROUTE when a busy device is mixed with %s', async (_name, adapters, rooms, other) => {
    const { reasons, code } = await fallbackOf({ adapters, rooms });
    expect(reasons).toEqual(expect.arrayContaining(['device-busy', other]));
    expect(code).toBe('NO_ROUTE');
  });

  it('is NO_ROUTE when nothing was passed over at all (no rooms)', async () => {
    expect(await fallbackOf({ adapters: [fakeAdapter('daily')], rooms: [] })).toEqual({ reasons: [], code: 'NO_ROUTE' });
  });
});
