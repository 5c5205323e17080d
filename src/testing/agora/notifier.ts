import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { deliver, type Delivery } from '../fake-server.js';
import type { Tamper } from '../provider-fake.js';

/** How the fake's Notifications service signs and sends callbacks. */
export interface NotifierOptions {
  /** The Notifications secret. */
  webhookSecret: string;
  /** Which signature headers to send: both, as Agora documents, or only one of them. @default 'both' */
  signatures?: 'both' | 'v2' | 'v1';
  /**
   * Waits before each resend of a callback that was not answered 200 with a JSON body. Agora resends "at
   * growing intervals" and stops after 3 retries; the intervals are UNCONFIRMED. @default [100, 200, 400]
   */
  resendDelaysMs?: readonly number[];
  /** Clock in epoch milliseconds. */
  now: () => number;
}

/** Sends signed RTC channel notifications to one URL. */
export interface Notifier {
  /** The secret it signs with. */
  webhookSecret: string;
  /** Where callbacks go. */
  deliverTo(url: string): void;
  /** Sends one event, resending as Agora does until it is accepted; returns every delivery. */
  send(eventType: number, payload: Record<string, unknown>, options?: { productId?: number; tamper?: Tamper }): Promise<Delivery[]>;
  /** Sends a delivery again, byte for byte. */
  replay(delivery: Delivery): Promise<Delivery>;
}

const STALE_BY_MS = 600_000;

/** Creates the fake's Notifications (NCS) sender (PROVIDERS.md §3.3). */
export function createNotifier(options: NotifierOptions): Notifier {
  const signatures = options.signatures ?? 'both';
  const resendDelaysMs = options.resendDelaysMs ?? [100, 200, 400];
  let url: string | undefined;

  function headersFor(body: string, tamper: Tamper | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (tamper === 'unsigned') return headers;
    const secret = tamper === 'signature' ? randomBytes(24).toString('base64url') : options.webhookSecret;
    const raw = Buffer.from(body);
    // The fake's own rendering of Agora's scheme, so the adapter's verifier is checked against it.
    if (signatures !== 'v2') headers['agora-signature'] = createHmac('sha1', secret).update(raw).digest('hex');
    if (signatures !== 'v1') headers['agora-signature-v2'] = createHmac('sha256', secret).update(raw).digest('hex');
    return headers;
  }

  return {
    webhookSecret: options.webhookSecret,
    deliverTo(target) {
      url = target;
    },
    async send(eventType, payload, sendOptions = {}) {
      if (url === undefined) throw new Error('the Agora fake has no callback URL: call deliverWebhooksTo(url) first');
      const { tamper } = sendOptions;
      const noticeId = randomUUID();
      const sid = randomBytes(16).toString('hex').toUpperCase();
      const deliveries: Delivery[] = [];
      for (let attempt = 0; ; attempt += 1) {
        // notifyMs is when this delivery leaves, so every resend carries a fresh one.
        const notifyMs = tamper === 'stale' ? options.now() - STALE_BY_MS : options.now();
        const body = JSON.stringify({ noticeId, productId: sendOptions.productId ?? 1, eventType, notifyMs, sid, payload });
        const delivery = await deliver(url, headersFor(body, tamper), body);
        deliveries.push(delivery);
        // A forged delivery is the attacker's, not Agora's: Agora would not resend it.
        if (tamper !== undefined || accepted(delivery) || attempt >= resendDelaysMs.length) return deliveries;
        await new Promise((resolve) => setTimeout(resolve, resendDelaysMs[attempt]));
      }
    },
    replay: (delivery) => deliver(delivery.sent.url, delivery.sent.headers, delivery.sent.body),
  };
}

// Agora wants 200 with a JSON body within 10 s; anything else is resent.
function accepted(delivery: Delivery): boolean {
  if (delivery.status !== 200) return false;
  try {
    JSON.parse(delivery.responseBody);
    return true;
  } catch {
    return false;
  }
}
