import { BridgeError } from '../../index.js';

/** The part of agora-token's `RtcTokenBuilder` the adapter uses (PROVIDERS.md §3.1). */
export interface AgoraRtcTokenBuilder {
  /** `tokenExpire` and `privilegeExpire` are seconds from now, not instants. */
  buildTokenWithUid(
    appId: string,
    appCertificate: string,
    channelName: string,
    uid: number,
    role: number,
    tokenExpire: number,
    privilegeExpire: number,
  ): string;
}

/** What the adapter needs from the `agora-token` package. */
export interface AgoraTokenLibrary {
  /** Mints RTC tokens (AccessToken2, "007…"). */
  RtcTokenBuilder: AgoraRtcTokenBuilder;
}

let loading: Promise<AgoraTokenLibrary> | undefined;

/**
 * Loads `agora-token` on first use, so importing the adapter costs nothing and apps that never route to
 * Agora need not install it. A failed load is not remembered: installing the package fixes it live.
 */
export function loadAgoraTokenLibrary(): Promise<AgoraTokenLibrary> {
  loading ??= importLibrary().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function importLibrary(): Promise<AgoraTokenLibrary> {
  let module: Record<string, unknown>;
  try {
    module = (await import('agora-token')) as unknown as Record<string, unknown>;
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', 'agora needs the agora-token package: npm install agora-token', { provider: 'agora', cause: error });
  }
  // agora-token is CommonJS (`module.exports = {…}`): Node's loader detects only its first named export,
  // so RtcTokenBuilder is reachable only through `default`, which holds module.exports.
  const library = (module.default ?? module) as Partial<AgoraTokenLibrary>;
  if (typeof library.RtcTokenBuilder?.buildTokenWithUid !== 'function') {
    throw new BridgeError('INVALID_CONFIG', 'the installed agora-token has no RtcTokenBuilder.buildTokenWithUid (need ^2.0.6)', { provider: 'agora' });
  }
  return library as AgoraTokenLibrary;
}
