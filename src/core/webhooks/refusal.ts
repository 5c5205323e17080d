import { BridgeError } from '../errors.js';

/**
 * Why a webhook delivery was refused, as `webhook-rejected` and the logger report it:
 * `signature` — signed, but not with any configured secret; `stale` — its timestamp is outside the
 * window or unreadable; `unsigned` — it carries no signature (or the provider sends no webhooks at all);
 * `malformed` — authentic or not, it cannot be read; `replayed` — a delivery already logged, answered
 * 200 but not applied again.
 */
export const WEBHOOK_REFUSAL_REASONS = ['signature', 'stale', 'unsigned', 'malformed', 'replayed'] as const;

/** One of {@link WEBHOOK_REFUSAL_REASONS}. */
export type WebhookRefusalReason = (typeof WEBHOOK_REFUSAL_REASONS)[number];

/** The WEBHOOK_INVALID error an adapter throws for a delivery it refuses; `message` must never quote a secret. */
export function webhookRefused(provider: string, reason: Exclude<WebhookRefusalReason, 'replayed'>, message: string, cause?: unknown): BridgeError {
  return new BridgeError('WEBHOOK_INVALID', `${provider} webhook: ${message}`, { provider, details: { reason }, cause });
}

/** The refusal reason an error carries; anything an adapter did not classify counts as malformed. */
export function refusalReasonOf(error: BridgeError): WebhookRefusalReason {
  const reason = error.details?.reason;
  return (WEBHOOK_REFUSAL_REASONS as readonly unknown[]).includes(reason) ? (reason as WebhookRefusalReason) : 'malformed';
}
