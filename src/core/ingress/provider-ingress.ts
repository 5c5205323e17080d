import type { CallAdapter, LiveCallDirectory, ProviderEvent, WebhookRequest } from '../adapter.js';
import type { WebhookRejection } from '../bridge-types.js';
import type { BridgeStore } from '../audit/store.js';
import { isLiveCall } from '../calls/call-record.js';
import type { LogWriter } from '../audit/access.js';
import type { AuditEntry } from '../audit/entry.js';
import type { CallRegistry } from '../calls/call-registry.js';
import { BridgeError, toBridgeError } from '../errors.js';
import type { PersonalDataHasher } from '../personal-data.js';
import { handleVerifiedWebhook, logProviderEvents, withProviderTimes, type WebhookOutcome } from './webhook-dispatch.js';

/** What provider ingress needs from the bridge. @internal */
export interface ProviderIngressContext {
  /** The adapter registered under a provider id or alias. */
  adapterFor(provider: string): CallAdapter | undefined;
  /** The bridge's append. */
  append: LogWriter;
  /** Where calls are found, on this server or through the store. */
  registry: CallRegistry;
  /** Keyed hashes for personal data in events. */
  personalData: PersonalDataHasher;
}

/**
 * Everything providers tell the bridge (verified webhooks, polled API records, a client library's
 * pushed events), matched to its call through the store so any server can take it, and logged.
 */
export class ProviderIngress {
  constructor(private readonly context: ProviderIngressContext) {}

  /** Verifies a webhook and applies it; throws WEBHOOK_INVALID (after `reject`) for anything not genuine. */
  handleWebhook(provider: string, request: WebhookRequest, reject: (report: WebhookRejection) => void): Promise<WebhookOutcome> {
    return handleVerifiedWebhook(provider, request, {
      adapterFor: this.context.adapterFor,
      append: this.context.append,
      findCall: (name, providerCallId) => this.findCall(name, providerCallId),
      reject,
      protect: (event) => this.protect(event),
    });
  }

  /** Logs events an adapter pushed or returned from a poll against their calls. */
  async logFromProvider(adapter: CallAdapter, events: readonly ProviderEvent[]): Promise<AuditEntry[]> {
    let timed;
    try {
      timed = withProviderTimes(events.map((event) => this.protect(event)));
    } catch (error) {
      throw new BridgeError('PROVIDER_REJECTED', `${adapter.provider} reported an unreadable time`, { provider: adapter.provider, cause: error });
    }
    const findCall = (name: string, id: string) => this.findCall(name, id);
    return (await logProviderEvents(adapter.provider, timed, { append: this.context.append, findCall })).logged;
  }

  /** Asks a polling provider for one call's events and logs the new ones. */
  async poll(verificationId: string, provider: string, providerCallId: string): Promise<AuditEntry[]> {
    const adapter = this.context.adapterFor(provider);
    if (!adapter?.pollEvents) return [];
    let events;
    try {
      events = await adapter.pollEvents({ verificationId, providerCallId });
    } catch (error) {
      throw toBridgeError(error, 'PROVIDER_UNAVAILABLE', `${adapter.provider} could not be polled`, adapter.provider);
    }
    return this.logFromProvider(adapter, events);
  }

  private findCall(provider: string, providerCallId: string) {
    return this.context.registry.findByProviderCall(this.context.adapterFor(provider)?.provider ?? provider, providerCallId);
  }

  // Personal data in an event (a chat id) reaches the log only as keyed hashes.
  private protect(event: ProviderEvent): ProviderEvent {
    if (event.personalData === undefined) return event;
    const { personalData: identifiers, ...rest } = event;
    const hashes = Object.fromEntries(Object.entries(identifiers).map(([kind, value]) => [`${kind}Hash`, this.context.personalData.hash(kind, value)]));
    return { ...rest, evidence: { ...rest.evidence, ...hashes } };
  }
}

/** The store's live calls of one provider by reference, for a client-library session that did not create them. */
export function liveCallDirectory(store: BridgeStore, provider: string): LiveCallDirectory {
  return {
    async withReference(reference) {
      const record = await store.findCall({ reference });
      if (record === null || !isLiveCall(record) || record.provider !== provider) return undefined;
      if (record.providerCallId === undefined || record.deviceId === undefined) return undefined;
      return { providerCallId: record.providerCallId, deviceId: record.deviceId };
    },
  };
}
