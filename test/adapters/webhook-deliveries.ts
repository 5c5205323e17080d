import { createHmac } from 'node:crypto';
import { agora } from '../../src/adapters/agora.js';
import { daily } from '../../src/adapters/daily.js';
import { teams } from '../../src/adapters/teams.js';
import { zoom } from '../../src/adapters/zoom.js';
import type { CallAdapter, WebhookRequest, WebhookSecrets } from '../../src/index.js';

/**
 * Deliveries as each signing provider makes them, signed here with node:crypto from the provider's
 * documented scheme (PROVIDERS.md), never with the adapter's code, so a test checks the adapter
 * against the scheme rather than against itself.
 */
export interface SignedProvider {
  /** The provider id, as the bridge knows it. */
  provider: 'daily' | 'zoom' | 'agora' | 'teams';
  /** A genuine-looking delivery signed with `secret`, sent `ageMs` before `receivedAtMs`. */
  signed(secret: string, options?: { body?: string; ageMs?: number }): WebhookRequest;
  /** The same delivery with its signature headers (or clientState) removed. */
  unsigned(): WebhookRequest;
  /** Whether the provider's deliveries carry a time that can be stale (Graph's do not). */
  canBeStale: boolean;
}

/** The receipt time every delivery claims. */
export const RECEIVED_AT_MS = 1_900_000_000_000;

// Random-looking but fixed, base64 as Daily wants; none of them appears in any message.
export const NEW_SECRET = 'bmV3LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=';
export const OLD_SECRET = 'b2xkLXNlY3JldC05ODc2NTQzMjEwemt5eHd2dXRzcnE=';
export const OTHER_SECRET = 'b3RoZXItc2VjcmV0LW5laXRoZXItbmV3LW5vci1vbGQ=';

const hmac = (algorithm: 'sha1' | 'sha256', key: string | Buffer, message: string) => createHmac(algorithm, key).update(message, 'utf8');

function request(provider: string, headers: Record<string, string>, body: string, url = `/webhooks/${provider}`): WebhookRequest {
  return { method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, rawBody: Buffer.from(body), receivedAtMs: RECEIVED_AT_MS };
}

const dailyBody = JSON.stringify({ version: '1.0.0', type: 'meeting.started', id: 'met-sta-1', payload: { room: 'vcb-room', meeting_id: 'm1', start_ts: 1_899_999_990 } });
const zoomBody = JSON.stringify({
  event: 'meeting.ended',
  event_ts: RECEIVED_AT_MS,
  payload: { account_id: 'acct', object: { id: '81234567890', uuid: 'uuid==', host_id: 'HOST', end_time: '2030-03-17T17:46:40Z' } },
});
const agoraBody = (notifyMs: number) =>
  JSON.stringify({ noticeId: 'n-1', productId: 1, eventType: 101, notifyMs, payload: { channelName: 'vcb-not-ours', ts: notifyMs / 1000 } });
// A lifecycle notification: accepted once its clientState is right, and answered without reading Graph.
const teamsBody = (clientState: string | undefined) =>
  JSON.stringify({ value: [{ subscriptionId: 'sub-1', lifecycleEvent: 'reauthorizationRequired', ...(clientState === undefined ? {} : { clientState }) }] });

/** The four providers whose webhooks are signed (Teams' with an echoed clientState). */
export const SIGNED_PROVIDERS: readonly SignedProvider[] = [
  {
    provider: 'daily',
    canBeStale: true,
    signed(secret, { body = dailyBody, ageMs = 0 } = {}) {
      const timestamp = String(Math.floor((RECEIVED_AT_MS - ageMs) / 1000));
      const signature = hmac('sha256', Buffer.from(secret, 'base64'), `${timestamp}.${body}`).digest('base64');
      return request('daily', { 'x-webhook-signature': signature, 'x-webhook-timestamp': timestamp }, body);
    },
    unsigned: () => request('daily', {}, dailyBody),
  },
  {
    provider: 'zoom',
    canBeStale: true,
    signed(secret, { body = zoomBody, ageMs = 0 } = {}) {
      const timestamp = String(Math.floor((RECEIVED_AT_MS - ageMs) / 1000));
      const signature = `v0=${hmac('sha256', secret, `v0:${timestamp}:${body}`).digest('hex')}`;
      return request('zoom', { 'x-zm-signature': signature, 'x-zm-request-timestamp': timestamp }, body);
    },
    unsigned: () => request('zoom', {}, zoomBody),
  },
  {
    provider: 'agora',
    canBeStale: true,
    // Agora's only time is the signed body's notifyMs.
    signed(secret, { body, ageMs = 0 } = {}) {
      const sent = body ?? agoraBody(RECEIVED_AT_MS - ageMs);
      return request('agora', { 'agora-signature-v2': hmac('sha256', secret, sent).digest('hex'), 'agora-signature': hmac('sha1', secret, sent).digest('hex') }, sent);
    },
    unsigned: () => request('agora', {}, agoraBody(RECEIVED_AT_MS)),
  },
  {
    provider: 'teams',
    canBeStale: false,
    // Graph signs nothing: the clientState it echoes is the secret.
    signed: (secret, { body } = {}) => request('teams', {}, body ?? teamsBody(secret)),
    unsigned: () => request('teams', {}, teamsBody(undefined)),
  },
];

/** The provider's adapter, configured in full (so health() speaks of the secrets alone), with its webhook secret option set to `secrets`. */
export function adapterWith(provider: SignedProvider['provider'], secrets: WebhookSecrets | undefined): CallAdapter {
  switch (provider) {
    case 'daily':
      return daily({ apiKey: 'k', webhookSecret: secrets });
    case 'zoom':
      return zoom({ accountId: 'a', clientId: 'c', clientSecret: 's', webhookSecretToken: secrets });
    case 'agora':
      return agora({
        appId: 'a'.repeat(32),
        appCertificate: 'b'.repeat(32),
        joinPageUrl: 'https://ops.example.police.uk/join',
        tokenBuilder: { buildTokenWithUid: () => 'token' },
        webhookSecret: secrets,
      });
    case 'teams':
      return teams({ tenantId: 't', clientId: 'c', clientSecret: 's', clientState: secrets });
  }
}
