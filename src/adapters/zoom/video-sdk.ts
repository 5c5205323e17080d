import { randomBytes } from 'node:crypto';
import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  formatInstant,
  providerTimeToEpochMs,
  webhookRefused,
  type AdapterHealth,
  type CallAdapter,
  type CreateCallRequest,
  type CreatedCall,
  type WebhookResult,
} from '../../index.js';
import { missingSetting, requiredSetting, type SettingSource } from './settings.js';
import { signVideoSdkToken, videoSdkClaims, type VideoSdkRole } from './video-sdk-token.js';

const PROVIDER_NAME = 'zoom-video-sdk';

/** Options for {@link zoomVideoSdk}. Settings are read on first use, from here or else the environment. */
export interface ZoomVideoSdkOptions {
  /** The Video SDK key (the JWT's `app_key`). @default process.env.ZOOM_VIDEO_SDK_KEY */
  sdkKey?: string;
  /** The Video SDK secret that signs the JWTs. @default process.env.ZOOM_VIDEO_SDK_SECRET */
  sdkSecret?: string;
  /**
   * The force's page that runs `@zoom/videosdk`; each side's link is this page with `session`, `token`
   * and `name` in the fragment, which browsers never send to a server. @default process.env.ZOOM_VIDEO_SDK_JOIN_PAGE_URL
   */
  joinPageUrl?: string;
  /** Clock in epoch milliseconds, for the tokens' `iat` and `exp`. @default Date.now */
  now?: () => number;
}

/**
 * Zoom Video SDK sessions for browser joins: no Zoom account and no app on either side. There is no
 * REST meeting: a session exists once someone joins it with a JWT this adapter signs locally (the ops
 * device as host, role 1; the other side as participant, role 0). Zoom's Video SDK session webhooks are
 * not among the sourced facts this SDK builds on, so lifecycle evidence comes from the page's client
 * SDK (`client`), and a token cannot be withdrawn once issued: it lapses at `exp`, at least 30 minutes
 * after issue by Zoom's rule, which is why `endCall` has nothing to release.
 */
export function zoomVideoSdk(options: ZoomVideoSdkOptions = {}): CallAdapter {
  const now = options.now ?? Date.now;
  const sources = {
    sdkKey: [options.sdkKey, 'ZOOM_VIDEO_SDK_KEY', 'sdkKey'],
    sdkSecret: [options.sdkSecret, 'ZOOM_VIDEO_SDK_SECRET', 'sdkSecret'],
    joinPageUrl: [options.joinPageUrl, 'ZOOM_VIDEO_SDK_JOIN_PAGE_URL', 'joinPageUrl'],
  } satisfies Record<string, SettingSource>;

  async function joinLink(session: string, role: VideoSdkRole, name: string, untilMs: number) {
    const claims = videoSdkClaims(requiredSetting(PROVIDER_NAME, sources.sdkKey), session, role, now(), untilMs);
    const token = await signVideoSdkToken(claims, requiredSetting(PROVIDER_NAME, sources.sdkSecret));
    const url = joinPage(requiredSetting(PROVIDER_NAME, sources.joinPageUrl));
    url.hash = new URLSearchParams({ session, token, name }).toString();
    return { join: { url: url.toString(), token, displayName: name }, exp: claims.exp };
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android', 'desktop'],
      access: 'browser',
      // In `callback` the app sends the citizen her link (by SMS).
      flows: ['officer-device', 'citizen-device', 'callback'],
      lifecycle: 'client',
      recording: false,
    },

    async createCall(request: CreateCallRequest): Promise<CreatedCall> {
      const untilMs = providerTimeToEpochMs({ value: request.expiresAt });
      const session = `vcb-${randomBytes(16).toString('base64url')}`;
      const otherSideName = request.flow === 'officer-device' ? 'Officer' : 'Member of the public';
      const ops = await joinLink(session, 1, 'Ops room supervisor', untilMs);
      const other = await joinLink(session, 0, otherSideName, untilMs);
      const lastExp = Math.max(ops.exp, other.exp);
      return {
        providerCallId: session,
        opsDevice: ops.join,
        otherSide: other.join,
        evidence: { sessionName: session, tokensExpireAt: formatInstant(lastExp * 1000), opsDeviceRoleType: 1, otherSideRoleType: 0 },
      };
    },

    async endCall() {
      // Nothing is held on Zoom's side for this SDK to release; the tokens lapse at `exp`.
    },

    async verifyWebhook(): Promise<WebhookResult> {
      // Nothing could vouch for a delivery: this adapter holds no webhook secret.
      throw webhookRefused(PROVIDER_NAME, 'unsigned', 'zoom-video-sdk takes none: its lifecycle comes from the client SDK on the join page');
    },

    async health(): Promise<AdapterHealth> {
      const missing = missingSetting(PROVIDER_NAME, Object.values(sources));
      if (missing) return { ok: false, reason: missing };
      try {
        joinPage(requiredSetting(PROVIDER_NAME, sources.joinPageUrl));
      } catch (error) {
        return { ok: false, reason: (error as Error).message };
      }
      return { ok: true };
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

// The fragment carries the token, so the page URL must not bring one of its own; plain http only on
// loopback (a sandbox), since a page served in clear could be altered to send the token elsewhere.
function joinPage(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', 'zoom-video-sdk joinPageUrl is not an absolute URL', { provider: PROVIDER_NAME, cause: error });
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!secure || url.hash !== '') {
    throw new BridgeError('INVALID_CONFIG', 'zoom-video-sdk joinPageUrl must be an https URL without a fragment', { provider: PROVIDER_NAME });
  }
  return url;
}
