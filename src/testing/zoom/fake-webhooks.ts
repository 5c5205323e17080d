import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { deliver, type Delivery } from '../fake-server.js';
import type { Tamper } from '../provider-fake.js';

/** Settings for {@link createZoomWebhookSender}. */
export interface ZoomWebhookSenderOptions {
  /** Put in every payload's `account_id`. */
  accountId: string;
  /** The secret every delivery is signed with. */
  webhookSecretToken: string;
  /** The fake's clock in epoch milliseconds. */
  now: () => number;
}

/** Result of one endpoint URL validation, as Zoom judges it. */
export interface ZoomUrlValidation {
  /** Whether the endpoint answered 200/204 with the right `plainToken` and `encryptedToken`. */
  valid: boolean;
  /** The delivery and its answer. */
  delivery: Delivery;
}

/** Signs and delivers Zoom webhooks to one URL. */
export interface ZoomWebhookSender {
  /** Where deliveries go. */
  deliverTo(url: string): void;
  /** Sends one event: `{event, event_ts, payload: {account_id, object}}` plus any top-level extras. */
  send(event: string, object: Record<string, unknown>, options?: { tamper?: Tamper; extras?: Record<string, unknown> }): Promise<Delivery>;
  /** Sends an `endpoint.url_validation` challenge and checks the answer; six failures in a row disable the subscription. */
  validateEndpoint(): Promise<ZoomUrlValidation>;
  /** Whether Zoom has disabled the subscription after repeated validation failures. */
  disabled(): boolean;
}

// Zoom disables a subscription after this many consecutive failed validations (PROVIDERS.md §1.4).
const MAX_VALIDATION_FAILURES = 6;

/**
 * Deliveries as Zoom makes them (PROVIDERS.md §1.4): compact JSON, `x-zm-signature` v0 over
 * `v0:{timestamp}:{body}`, `x-zm-request-timestamp` in seconds while `event_ts` is in milliseconds.
 */
export function createZoomWebhookSender(options: ZoomWebhookSenderOptions): ZoomWebhookSender {
  let url: string | undefined;
  let failedValidations = 0;
  // The legacy verification token Zoom still puts in `authorization`; adapters must not rely on it.
  const verificationToken = randomBytes(16).toString('base64url');

  async function post(body: string, tamper: Tamper | undefined): Promise<Delivery> {
    if (url === undefined) throw new Error('the Zoom fake has no webhook URL: call deliverWebhooksTo(url) first');
    if (failedValidations >= MAX_VALIDATION_FAILURES) throw new Error('Zoom disabled this subscription after six failed URL validations');
    const sentAtMs = tamper === 'stale' ? options.now() - 600_000 : options.now();
    const timestamp = String(Math.floor(sentAtMs / 1000));
    const key = tamper === 'signature' ? randomBytes(16).toString('base64url') : options.webhookSecretToken;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Zoom Marketplace/1.0a',
      'x-zm-request-id': randomUUID(),
      authorization: verificationToken,
    };
    if (tamper !== 'unsigned') {
      headers['x-zm-signature'] = `v0=${hmacHex(key, `v0:${timestamp}:${body}`)}`;
      headers['x-zm-request-timestamp'] = timestamp;
    }
    return deliver(url, headers, body);
  }

  return {
    deliverTo(target) {
      url = target;
    },
    send(event, object, sendOptions = {}) {
      const body = JSON.stringify({ event, event_ts: options.now(), payload: { account_id: options.accountId, object }, ...sendOptions.extras });
      return post(body, sendOptions.tamper);
    },
    async validateEndpoint() {
      const plainToken = randomBytes(16).toString('base64url');
      const body = JSON.stringify({ payload: { plainToken }, event_ts: options.now(), event: 'endpoint.url_validation' });
      const delivery = await post(body, undefined);
      const valid = (delivery.status === 200 || delivery.status === 204) && answers(delivery.responseBody, plainToken, options.webhookSecretToken);
      failedValidations = valid ? 0 : failedValidations + 1;
      return { valid, delivery };
    },
    disabled: () => failedValidations >= MAX_VALIDATION_FAILURES,
  };
}

// Computed here rather than with the adapter's helpers, so the fake checks the adapter independently.
function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

function answers(responseBody: string, plainToken: string, secret: string): boolean {
  try {
    const reply = JSON.parse(responseBody) as Record<string, unknown>;
    return reply.plainToken === plainToken && reply.encryptedToken === hmacHex(secret, plainToken);
  } catch {
    return false;
  }
}
