import { BridgeError, readWebhookSecrets, type WebhookSecrets } from '../../index.js';

/** The adapter's credentials and links, each from its option or else its environment variable. */
export interface AgoraSettingsSource {
  appId?: string;
  appCertificate?: string;
  webhookSecret?: WebhookSecrets;
  joinPageUrl?: string;
  customerId?: string;
  customerSecret?: string;
}

/** Reads settings on every use, so a rotated secret takes effect; each getter throws INVALID_CONFIG naming what to set. */
export interface AgoraSettings {
  appId(): string;
  appCertificate(): string;
  /** The Notifications secrets, newest first (several during a rotation). */
  webhookSecrets(): string[];
  joinPageUrl(): string;
  /** `Basic base64(customerId:customerSecret)` for the RESTful API. */
  basicAuthorization(): string;
  /** Whether the customer ID and secret are set, without which no call can be ended early. */
  canEndEarly(): boolean;
  /** Why calls cannot be made, or undefined when they can. */
  missing(): string | undefined;
}

// agora-token silently builds no token from an App ID or certificate that is not 32 hex characters.
const HEX_32 = /^[0-9a-fA-F]{32}$/;

/** The settings of one adapter. */
export function agoraSettings(source: AgoraSettingsSource): AgoraSettings {
  const settings: AgoraSettings = {
    appId: () => hex(source.appId, 'AGORA_APP_ID', 'appId'),
    appCertificate: () => hex(source.appCertificate, 'AGORA_APP_CERTIFICATE', 'appCertificate'),
    webhookSecrets: () => readWebhookSecrets(source.webhookSecret, 'AGORA_WEBHOOK_SECRET', 'webhookSecret', 'agora'),
    joinPageUrl: () => httpUrl(required(source.joinPageUrl, 'AGORA_JOIN_PAGE_URL', 'joinPageUrl')),
    basicAuthorization() {
      const id = required(source.customerId, 'AGORA_CUSTOMER_ID', 'customerId');
      const secret = required(source.customerSecret, 'AGORA_CUSTOMER_SECRET', 'customerSecret');
      return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    },
    canEndEarly: () => Boolean((source.customerId ?? process.env.AGORA_CUSTOMER_ID) && (source.customerSecret ?? process.env.AGORA_CUSTOMER_SECRET)),
    // Without these it cannot mint a token, link to the page, or believe a callback.
    missing() {
      try {
        settings.appId();
        settings.appCertificate();
        settings.webhookSecrets();
        settings.joinPageUrl();
        return undefined;
      } catch (error) {
        return `agora is not configured: ${BridgeError.isInstance(error) ? error.message.replace(/^agora /, '') : String(error)}`;
      }
    },
  };
  return settings;
}

function required(value: string | undefined, variable: string, option: string): string {
  const resolved = value ?? process.env[variable];
  if (resolved === undefined || resolved.length === 0) throw notConfigured(option, variable);
  return resolved;
}

function notConfigured(option: string, variable: string): BridgeError {
  return config(`agora needs ${option} (or the ${variable} environment variable)`);
}

function hex(value: string | undefined, variable: string, option: string): string {
  const resolved = required(value, variable, option);
  if (!HEX_32.test(resolved)) throw config(`agora ${option} must be 32 hexadecimal characters`);
  return resolved;
}

function httpUrl(value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (error) {
    throw config('agora joinPageUrl is not a URL', error);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw config('agora joinPageUrl must be an http(s) URL');
  return value;
}

function config(message: string, cause?: unknown): BridgeError {
  return new BridgeError('INVALID_CONFIG', message, { provider: 'agora', cause });
}
