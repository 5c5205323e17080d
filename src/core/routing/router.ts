import type { AdapterHealth, CallAdapter, JoinAccess } from '../adapter.js';
import type { DeviceLease } from '../audit/store.js';
import type { CallerCapabilities, Flow, OpsRoom } from '../types.js';

/** Why a provider or a device was passed over. */
export type RejectionReason =
  | 'flow-unsupported'
  | 'caller-cannot-use'
  | 'provider-unhealthy'
  | 'no-handle'
  | 'device-unready'
  | 'device-busy'
  | 'create-failed';

/** A provider, and for device-level reasons the room, that the router passed over, and why. */
export interface RejectedCandidate {
  /** The provider passed over. */
  provider: string;
  /** The room, when the reason concerns its device. */
  roomId?: string;
  /** Stable reason. */
  reason: RejectionReason;
  /** The same in words for the ops room. */
  detail: string;
}

/** The route taken: a provider on one room's device. */
export interface ChosenRoute {
  /** Provider id. */
  provider: string;
  /** The room whose device takes the call. */
  roomId: string;
  /** That room's name, for people reading the decision. */
  roomName: string;
  /** That device. */
  deviceId: string;
  /** The device's handle on the provider. */
  handle: string;
  /** How the other side joins on her platform: with the provider's app or a browser link. */
  access: JoinAccess;
}

/** Numbers to offer whenever the video call cannot happen or the citizen prefers to phone. */
export interface PhoneFallback {
  /** The ops room's published number (E.164), when a room is known. */
  opsRoomPhoneNumber?: string;
  /** The room that number belongs to. */
  opsRoomName?: string;
  /** The emergency number, always offered. */
  emergencyNumber: string;
}

/** The router's answer: a route with its device lease, or a phone fallback. Never a throw. */
export type RouteDecision =
  | { kind: 'call'; chosen: ChosenRoute; lease: DeviceLease; rejected: RejectedCandidate[]; fallback: PhoneFallback }
  | { kind: 'phone-fallback'; rejected: RejectedCandidate[]; fallback: PhoneFallback };

/** Everything the router weighs. */
export interface RouteRequest {
  /** Who dials whom. */
  flow: Flow;
  /** What the other side's phone can do. */
  caller: CallerCapabilities;
  /** Candidate rooms, in the order to try them. */
  rooms: readonly OpsRoom[];
  /** Registered adapters. */
  adapters: readonly CallAdapter[];
  /** The force's provider preference; unlisted providers follow in registration order. */
  preference: readonly string[];
  /** The emergency number to offer. */
  emergencyNumber: string;
  /** Tries to take the room's device for this call. */
  acquireLease: (room: OpsRoom) => Promise<DeviceLease | null>;
  /** Routes already tried for this verification whose create failed: listed as rejected, and their providers not tried again. */
  failed?: readonly RejectedCandidate[];
}

/**
 * Decides where a call goes: providers in preference order, rooms in order, the first whose provider
 * is healthy and usable by the caller, whose device has a handle there, and whose device lease can be
 * taken. Every candidate passed over is listed with its reason.
 */
export async function decideRoute(request: RouteRequest): Promise<RouteDecision> {
  const rejected: RejectedCandidate[] = [];
  const firstRoom = request.rooms[0];
  const fallback: PhoneFallback = {
    ...(firstRoom ? { opsRoomPhoneNumber: firstRoom.publishedPhoneNumber, opsRoomName: firstRoom.name } : {}),
    emergencyNumber: request.emergencyNumber,
  };
  for (const adapter of orderByPreference(request.adapters, request.preference)) {
    const failedHere = request.failed?.filter((f) => f.provider === adapter.provider) ?? [];
    if (failedHere.length > 0) {
      rejected.push(...failedHere);
      continue;
    }
    const providerProblem = await providerRejection(adapter, request);
    if (providerProblem) {
      rejected.push(providerProblem);
      continue;
    }
    for (const room of request.rooms) {
      const handle = deviceHandle(room, adapter);
      if (handle === undefined) {
        rejected.push({
          provider: adapter.provider,
          roomId: room.id,
          reason: 'no-handle',
          detail: `${room.name}'s device has no ${adapter.provider} account`,
        });
        continue;
      }
      const access = joinAccess(adapter, request.caller);
      const unready = await safeCheckDevice(adapter, {
        device: { id: room.device.id, handle },
        otherSide: otherSideOf(request.caller, access),
        flow: request.flow,
      });
      if (unready !== undefined) {
        rejected.push({ provider: adapter.provider, roomId: room.id, reason: 'device-unready', detail: `${room.name}: ${unready}` });
        continue;
      }
      const lease = await request.acquireLease(room);
      if (lease === null) {
        rejected.push({
          provider: adapter.provider,
          roomId: room.id,
          reason: 'device-busy',
          detail: `${room.name}'s device is on another call`,
        });
        continue;
      }
      const chosen = { provider: adapter.provider, roomId: room.id, roomName: room.name, deviceId: room.device.id, handle, access };
      return { kind: 'call', chosen, lease, rejected, fallback: roomFallback(room, request.emergencyNumber) };
    }
  }
  return { kind: 'phone-fallback', rejected, fallback };
}

/** Adapters in the force's preference order (aliases count), then the rest in registration order. */
export function orderByPreference(adapters: readonly CallAdapter[], preference: readonly string[]): CallAdapter[] {
  const rank = (adapter: CallAdapter): number => {
    const names = [adapter.provider, ...(adapter.aliases ?? [])];
    const position = preference.findIndex((name) => names.includes(name));
    return position === -1 ? preference.length : position;
  };
  return adapters
    .map((adapter, order) => ({ adapter, order, rank: rank(adapter) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order)
    .map(({ adapter }) => adapter);
}

/** The device's handle on the adapter's provider, under its id or an alias. */
export function deviceHandle(room: OpsRoom, adapter: CallAdapter): string | undefined {
  for (const name of [adapter.provider, ...(adapter.aliases ?? [])]) {
    const handle = room.device.handles[name];
    if (handle !== undefined && handle.length > 0) return handle;
  }
  return undefined;
}

async function providerRejection(adapter: CallAdapter, request: RouteRequest): Promise<RejectedCandidate | undefined> {
  const { provider, capabilities } = adapter;
  if (!capabilities.flows.includes(request.flow)) {
    return { provider, reason: 'flow-unsupported', detail: `${provider} cannot carry the ${request.flow} flow` };
  }
  const unusable = callerProblem(adapter, request.caller);
  if (unusable) return { provider, reason: 'caller-cannot-use', detail: unusable };
  const health = await safeHealth(adapter);
  if (!health.ok) {
    return { provider, reason: 'provider-unhealthy', detail: `${provider} is unhealthy: ${health.reason ?? 'no reason given'}` };
  }
  return undefined;
}

/** How the caller joins this provider: its platform's own way if the adapter declares one, else the default. */
export function joinAccess(adapter: CallAdapter, caller: CallerCapabilities): JoinAccess {
  const { capabilities } = adapter;
  return (caller.platform !== undefined ? capabilities.accessByPlatform?.[caller.platform] : undefined) ?? capabilities.access;
}

/** The other side as an adapter sees it when creating a call. */
export function otherSideOf(caller: CallerCapabilities, access: JoinAccess): { platform?: CallerCapabilities['platform']; access: JoinAccess } {
  return caller.platform === undefined ? { access } : { platform: caller.platform, access };
}

function callerProblem(adapter: CallAdapter, caller: CallerCapabilities): string | undefined {
  const { provider, capabilities } = adapter;
  if (caller.platform !== undefined && !capabilities.platforms.includes(caller.platform)) {
    return `${provider} does not reach ${caller.platform} phones`;
  }
  if (joinAccess(adapter, caller) === 'browser') {
    return caller.browser === false ? `${provider} needs a browser and the caller has none` : undefined;
  }
  const names = [provider, ...(adapter.aliases ?? [])];
  return caller.apps?.some((app) => names.includes(app)) ? undefined : `the caller does not have the ${provider} app`;
}

// A device check that throws must not stop the citizen being routed elsewhere; it counts as not ready.
async function safeCheckDevice(adapter: CallAdapter, request: Parameters<NonNullable<CallAdapter['checkDevice']>>[0]): Promise<string | undefined> {
  if (!adapter.checkDevice) return undefined;
  try {
    return await adapter.checkDevice(request);
  } catch (error) {
    return `${adapter.provider} could not check the device: ${error instanceof Error ? error.message : String(error)}`;
  }
}

async function safeHealth(adapter: CallAdapter): Promise<AdapterHealth> {
  try {
    return await adapter.health();
  } catch (error) {
    return { ok: false, reason: `health check failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function roomFallback(room: OpsRoom, emergencyNumber: string): PhoneFallback {
  return { opsRoomPhoneNumber: room.publishedPhoneNumber, opsRoomName: room.name, emergencyNumber };
}
