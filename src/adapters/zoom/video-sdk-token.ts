import { BridgeError } from '../../index.js';

/** Zoom Video SDK role: 1 host (the ops device), 0 participant. */
export type VideoSdkRole = 0 | 1;

/** The claims of a Zoom Video SDK JWT (PROVIDERS.md §1.6). */
export interface VideoSdkClaims {
  /** The Video SDK key. */
  app_key: string;
  /** The session name, as the page passes it to `client.join`. */
  tpc: string;
  /** 1 host, 0 participant. */
  role_type: VideoSdkRole;
  /** Always 1. */
  version: 1;
  /** Issued at, epoch seconds. */
  iat: number;
  /** Expiry, epoch seconds: at least 30 minutes and at most 48 hours after `iat`. */
  exp: number;
}

/** Zoom's bounds on a Video SDK token's lifetime, in seconds. */
export const VIDEO_SDK_TOKEN_LIFETIME = { min: 1800, max: 172_800 } as const;

/** Zoom's longest session name. */
export const VIDEO_SDK_MAX_SESSION_NAME = 200;

type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;

// jose is an optional peer dependency: loaded the first time a token is signed, never on import.
function loadJose(): Promise<Jose> {
  jose ??= import('jose').catch((error: unknown) => {
    jose = undefined;
    throw new BridgeError('INVALID_CONFIG', 'zoom-video-sdk signs its tokens with the optional peer dependency jose: install jose', {
      provider: 'zoom-video-sdk',
      cause: error,
    });
  });
  return jose;
}

/**
 * The claims for one side of a session, valid from `nowMs` until `untilMs`, pulled inside Zoom's
 * bounds: a call shorter than 30 minutes still gets Zoom's shortest lifetime, a longer one at most 48 h.
 */
export function videoSdkClaims(sdkKey: string, sessionName: string, role: VideoSdkRole, nowMs: number, untilMs: number): VideoSdkClaims {
  if (sessionName.length === 0 || sessionName.length > VIDEO_SDK_MAX_SESSION_NAME) {
    throw new BridgeError('INVALID_INPUT', `a Zoom Video SDK session name has 1 to ${VIDEO_SDK_MAX_SESSION_NAME} characters`);
  }
  const iat = Math.floor(nowMs / 1000);
  const wanted = Math.ceil(untilMs / 1000);
  const exp = Math.min(Math.max(wanted, iat + VIDEO_SDK_TOKEN_LIFETIME.min), iat + VIDEO_SDK_TOKEN_LIFETIME.max);
  return { app_key: sdkKey, tpc: sessionName, role_type: role, version: 1, iat, exp };
}

/** Signs the claims as Zoom wants them: HS256, `typ: JWT`, keyed with the Video SDK secret. */
export async function signVideoSdkToken(claims: VideoSdkClaims, sdkSecret: string): Promise<string> {
  const { SignJWT } = await loadJose();
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(sdkSecret));
}
