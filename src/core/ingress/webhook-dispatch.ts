import type { CallAdapter, ProviderEvent, WebhookReply, WebhookRequest } from '../adapter.js';
import type { AuditEntry, AuditEntryInput } from '../audit/entry.js';
import { BridgeError, toBridgeError } from '../errors.js';
import { normalizeProviderTime } from '../provider-time.js';
import type { VerificationCall } from '../calls/verification-call.js';
import type { WebhookRejection } from '../bridge-types.js';
import { refusalReasonOf, webhookRefused } from '../webhooks/refusal.js';

/** What became of one webhook delivery. */
export interface WebhookOutcome {
  /** What to answer the provider. */
  reply: WebhookReply;
  /** Entries the delivery added to the log. */
  logged: AuditEntry[];
  /** Events already in the log (a replay or a provider's retry), not applied again. */
  duplicates: number;
}

/** What dispatch needs from the bridge. @internal */
export interface WebhookDispatchContext {
  /** The adapter registered under a provider id or alias. */
  adapterFor(provider: string): CallAdapter | undefined;
  /** Appends to the log. */
  append(input: AuditEntryInput): Promise<AuditEntry>;
  /** The call a provider's call id belongs to, whichever server started it. */
  findCall(provider: string, providerCallId: string): Promise<VerificationCall | undefined>;
  /** Reports a refused or replayed delivery. */
  reject(report: WebhookRejection): void;
  /** Replaces an event's personal data with keyed hashes, before anything is logged. */
  protect(event: ProviderEvent): ProviderEvent;
}

/**
 * Verifies a delivery with its adapter, then logs each event against its call, found through the
 * store whichever server started it. Events for calls no server ever started are still genuine
 * evidence, so they are logged as unmatched rather than dropped.
 */
export async function handleVerifiedWebhook(
  provider: string,
  request: WebhookRequest,
  context: WebhookDispatchContext,
): Promise<WebhookOutcome> {
  const adapter = context.adapterFor(provider);
  if (!adapter) throw new BridgeError('NOT_FOUND', `no adapter is registered for provider ${provider}`, { provider });
  const refuse = (error: unknown): never => {
    const failure = toBridgeError(error, 'WEBHOOK_INVALID', `${adapter.provider} webhook could not be verified`, adapter.provider);
    context.reject({ provider: adapter.provider, code: failure.code, reason: refusalReasonOf(failure), message: failure.message });
    throw failure;
  };
  const result = await adapter.verifyWebhook(request).catch(refuse);
  if (result.kind === 'reply') return { reply: result.reply, logged: [], duplicates: 0 };
  if (result.kind === 'ignored') return { reply: jsonReply({ ok: true, ignored: result.reason }), logged: [], duplicates: 0 };

  let timed: TimedEvent[] = [];
  try {
    timed = withProviderTimes(result.events.map(context.protect));
  } catch (error) {
    refuse(webhookRefused(adapter.provider, 'malformed', 'it carries an unreadable time', error));
  }
  const { logged, duplicates } = await logProviderEvents(adapter.provider, timed, context).catch((error: unknown) => {
    // The bridge's own fields always fit the log, so a value it refuses (an event id over 256 characters,
    // a lone surrogate) came in the delivery: that is a malformed delivery (400), not a failure of ours (500).
    // Events of the delivery logged before it stay logged.
    if (!BridgeError.hasCode(error, 'INVALID_INPUT')) throw error;
    return refuse(webhookRefused(adapter.provider, 'malformed', `it holds a value the log cannot keep: ${error.message}`, error));
  });
  if (duplicates > 0) {
    const message = `${adapter.provider} webhook: ${duplicates} event(s) already logged, not applied again`;
    context.reject({ provider: adapter.provider, code: 'DUPLICATE_EVENT', reason: 'replayed', message });
  }
  // A repeat of a delivery we already hold is answered 200: refusing it would only make the provider retry.
  return { reply: jsonReply({ ok: true, logged: logged.length, duplicates }), logged, duplicates };
}

/** A provider event with its time already normalised to the log's form. @internal */
export interface TimedEvent {
  /** The event as the adapter gave it. */
  event: ProviderEvent;
  /** Its provider time in log form, when it has one. */
  providerAt?: string;
}

/** Normalises each event's provider time; throws INVALID_INPUT for a time that cannot be read. @internal */
export function withProviderTimes(events: readonly ProviderEvent[]): TimedEvent[] {
  return events.map((event) => ({
    event,
    ...(event.providerTime ? { providerAt: normalizeProviderTime(event.providerTime) } : {}),
  }));
}

/** Logs verified events against their calls, counting (not failing on) events the log already holds. @internal */
export async function logProviderEvents(
  provider: string,
  timed: readonly TimedEvent[],
  context: Pick<WebhookDispatchContext, 'append' | 'findCall'>,
): Promise<{ logged: AuditEntry[]; duplicates: number }> {
  const logged: AuditEntry[] = [];
  let duplicates = 0;
  for (const { event, providerAt } of timed) {
    try {
      logged.push(await logEvent(provider, event, providerAt, context));
    } catch (error) {
      if (!BridgeError.hasCode(error, 'DUPLICATE_EVENT')) throw error;
      duplicates += 1;
    }
  }
  return { logged, duplicates };
}

async function logEvent(
  provider: string,
  event: ProviderEvent,
  providerAt: string | undefined,
  context: Pick<WebhookDispatchContext, 'append' | 'findCall'>,
): Promise<AuditEntry> {
  const call = await context.findCall(provider, event.providerCallId);
  if (call) return call.providerEvent(event, providerAt);
  return context.append({
    type: 'provider.unmatched-event',
    source: 'provider',
    provider,
    providerEventId: event.providerEventId,
    ...(providerAt === undefined ? {} : { providerAt }),
    data: {
      uniformType: event.type,
      providerType: event.providerType,
      providerCallId: event.providerCallId,
      ...(event.evidence ? { evidence: event.evidence } : {}),
    },
  });
}

function jsonReply(body: unknown): WebhookReply {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
