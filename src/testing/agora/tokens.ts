/** What an Agora RTC token grants, as the fake read it from the token itself. */
export interface RtcTokenGrant {
  /** The App ID the token was minted for. */
  appId: string;
  /** The channel it admits to. */
  channel: string;
  /** The uid it admits; 0 when any uid may use it. */
  uid: number;
  /** Unix seconds after which it admits nobody: the earlier of the token's and the join privilege's expiry. */
  joinExpiresAt: number;
}

/** Reads and checks tokens the way Agora's servers would. */
export type RtcTokenReader = (token: string, appCertificate: string) => RtcTokenGrant | { problem: string };

interface AccessToken2 {
  from_string(token: string): boolean;
  verifySignature(appCertificate: string): boolean;
  appId: unknown;
  issueTs: number;
  expire: number;
  services: RtcService[];
}

interface RtcService {
  service_type(): number;
  __channel_name?: unknown;
  __uid?: unknown;
  __privileges: Record<string, number>;
}

// agora-token ≥ 2.0.6 ships the parser in src/AccessToken2.js but does not export it from its index.
// A computed specifier keeps TypeScript from asking for its (absent) type declarations.
const ACCESS_TOKEN2_MODULE = 'agora-token/src/AccessToken2.js';
const RTC_SERVICE = 1;
const JOIN_CHANNEL_PRIVILEGE = 1;

/** Loads agora-token's AccessToken2 parser; fails with a clear message when the installed version lacks it. */
export async function loadRtcTokenReader(): Promise<RtcTokenReader> {
  let module: Record<string, unknown>;
  try {
    module = (await import(ACCESS_TOKEN2_MODULE)) as Record<string, unknown>;
  } catch (error) {
    throw new Error('the Agora fake needs agora-token ^2.0.6 installed to read tokens', { cause: error });
  }
  // CommonJS: the class is on module.exports, which Node exposes as `default`.
  const exports = (module.default ?? module) as { AccessToken2?: new () => AccessToken2 };
  const AccessToken2 = exports.AccessToken2;
  if (typeof AccessToken2?.prototype.from_string !== 'function' || typeof AccessToken2.prototype.verifySignature !== 'function') {
    throw new Error('the installed agora-token cannot parse and verify tokens (AccessToken2.from_string/verifySignature); install ^2.0.6');
  }
  return (token, appCertificate) => readToken(new AccessToken2(), token, appCertificate);
}

function readToken(parsed: AccessToken2, token: string, appCertificate: string): RtcTokenGrant | { problem: string } {
  if (!parsed.from_string(token)) return { problem: 'not an AccessToken2 ("007…") token' };
  if (!parsed.verifySignature(appCertificate)) return { problem: 'the token is not signed with this project’s app certificate' };
  const rtc = parsed.services.find((service) => service.service_type() === RTC_SERVICE);
  if (!rtc) return { problem: 'the token grants no RTC service' };
  const joinPrivilege = rtc.__privileges[JOIN_CHANNEL_PRIVILEGE];
  if (joinPrivilege === undefined) return { problem: 'the token grants no join-channel privilege' };
  // AccessToken2 stores the token's and each privilege's lifetime in seconds from issueTs; 0 means "as the token".
  const tokenExpiresAt = parsed.issueTs + parsed.expire;
  const uidText = String(rtc.__uid ?? '');
  return {
    appId: String(parsed.appId),
    channel: String(rtc.__channel_name ?? ''),
    uid: uidText === '' ? 0 : Number(uidText),
    joinExpiresAt: joinPrivilege === 0 ? tokenExpiresAt : Math.min(tokenExpiresAt, parsed.issueTs + joinPrivilege),
  };
}
