import { randomBytes } from 'node:crypto';
import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  webhookRefused,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type WebhookResult,
} from '../index.js';
import { createFaceTimeLinkPool, linkFingerprint, parseFaceTimeHandle, type FaceTimeLinkPool } from './facetime/links.js';

export { createFaceTimeLinkPool, parseFaceTimeHandle, parseFaceTimeWebLink, type FaceTimeLinkPool } from './facetime/links.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'facetime';

/** Options for {@link facetime}. */
export interface FaceTimeAdapterOptions {
  /** Where the ops devices' web links live. @default a new in-memory pool */
  linkPool?: FaceTimeLinkPool;
  /** Offer `facetime-audio:` instead of video; a verification wants to see the officer, so rarely. @default false */
  audioOnly?: boolean;
  /** Warn when a device has this many web links left or fewer. @default 3 */
  lowLinkThreshold?: number;
  /** Told when a device's web links run low, so the ops room creates more before they run out. */
  onLinksLow?: (report: { deviceId: string; remaining: number }) => void;
}

/** The FaceTime adapter: a `CallAdapter` plus the ops console's way to hand it web links. */
export interface FaceTimeAdapter extends CallAdapter {
  /** Registers web links an operator created on the device (FaceTime → Create Link); each is used once. */
  registerLinks(deviceId: string, links: readonly string[]): { added: number; remaining: number };
  /** How many unused web links a device has. */
  remainingLinks(deviceId: string): number;
  /** Whether a call this adapter created has not yet ended. */
  isLive(providerCallId: string): boolean;
}

/**
 * FaceTime has no server API (PROVIDERS.md §7): an iPhone gets a `facetime:` link to the ops device's
 * handle, and Android or desktop callers, who can only join, get one of the device's pooled web links
 * in Chrome or Edge. Nothing reports the call's life, so the supervisor attests it.
 */
export function facetime(options: FaceTimeAdapterOptions = {}): FaceTimeAdapter {
  const pool = options.linkPool ?? createFaceTimeLinkPool();
  const lowLinkThreshold = options.lowLinkThreshold ?? 3;
  const live = new Set<string>();

  function appLinkCall(request: CreateCallRequest, id: string): CreatedCall {
    const handle = deviceHandle(request.device.handle);
    const scheme = options.audioOnly ? 'facetime-audio' : 'facetime';
    const url = `${scheme}:${handle}`;
    return {
      providerCallId: id,
      otherSide: { url, displayName: 'Call the ops room on FaceTime' },
      opsDevice: { url, displayName: 'Answer the incoming FaceTime call' },
      evidence: { kind: 'app-link', scheme },
    };
  }

  // The ops device dials her: FaceTime can reach only an Apple device, so the router checked she has one.
  function callbackCall(request: CreateCallRequest, id: string): CreatedCall {
    const handle = deviceHandle(request.device.handle);
    const phoneNumber = request.otherSide?.phoneNumber;
    if (phoneNumber === undefined) throw new BridgeError('INVALID_INPUT', 'facetime: a callback needs her phone number', { provider: PROVIDER_NAME });
    const scheme = options.audioOnly ? 'facetime-audio' : 'facetime';
    return {
      providerCallId: id,
      otherSide: { url: `${scheme}:${handle}`, displayName: 'The ops room will FaceTime you from this number' },
      opsDevice: { url: `${scheme}:${phoneNumber}`, displayName: 'FaceTime her back now' },
      evidence: { kind: 'callback', scheme },
    };
  }

  function webLinkCall(request: CreateCallRequest, id: string): CreatedCall {
    const link = pool.take(request.device.id);
    if (link === undefined) {
      throw new BridgeError('PROVIDER_UNAVAILABLE', `facetime: device ${request.device.id} has no web links left`, { provider: PROVIDER_NAME });
    }
    const remaining = pool.remaining(request.device.id);
    if (remaining <= lowLinkThreshold) options.onLinksLow?.({ deviceId: request.device.id, remaining });
    return {
      providerCallId: id,
      otherSide: { url: link, displayName: 'Join in Chrome or Edge, then wait to be admitted' },
      opsDevice: { url: link, displayName: 'Admit the person who joins this link' },
      evidence: { kind: 'web-link', link: linkFingerprint(link), linksRemaining: remaining },
    };
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      // Android and Windows can only join a web link in a browser; iPhones call with the built-in app.
      access: 'browser',
      accessByPlatform: { ios: 'app' },
      // In `callback` the device FaceTimes her number, which only an iPhone with FaceTime can take.
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'operator',
      recording: false,
    },

    async createCall(request) {
      const id = `facetime-${randomBytes(12).toString('base64url')}`;
      const access = request.otherSide?.access ?? 'browser';
      const created = request.flow === 'callback' ? callbackCall(request, id) : access === 'app' ? appLinkCall(request, id) : webLinkCall(request, id);
      live.add(id);
      return created;
    },

    async endCall({ providerCallId }) {
      // Apple holds nothing to release: the call ends on the phones, the web link was retired when taken.
      live.delete(providerCallId);
    },

    async verifyWebhook(): Promise<WebhookResult> {
      // Nothing could vouch for a delivery, so it counts as unsigned.
      throw webhookRefused(PROVIDER_NAME, 'unsigned', 'facetime sends none, so nothing posted here can be genuine');
    },

    async health() {
      return { ok: true };
    },

    async checkDevice({ device, otherSide, flow }) {
      if (flow === 'callback' && otherSide.access !== 'app') return 'FaceTime can call back only an iPhone that has FaceTime';
      if (otherSide.access === 'app') {
        try {
          deviceHandle(device.handle);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      }
      return pool.remaining(device.id) > 0
        ? undefined
        : 'no FaceTime web links left: create some on the device (FaceTime → Create Link) and register them';
    },

    registerLinks: (deviceId, links) => pool.register(deviceId, links),
    remainingLinks: (deviceId) => pool.remaining(deviceId),
    isLive: (providerCallId) => live.has(providerCallId),
  };
}

export default facetime;

function deviceHandle(handle: string): string {
  try {
    return parseFaceTimeHandle(handle);
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', `facetime: the ops device's handle must be a phone number or Apple ID email`, {
      provider: PROVIDER_NAME,
      cause: error,
    });
  }
}
