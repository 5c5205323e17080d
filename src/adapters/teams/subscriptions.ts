import { BridgeError, formatInstant, type ProviderHttpClient } from '../../index.js';

/** What an app passes to subscribe to call records. */
export interface CallRecordSubscriptionRequest {
  /** The public HTTPS URL of the bridge's Teams webhook, e.g. `https://ops.example.police.uk/webhooks/teams`. */
  notificationUrl: string;
  /** Where Graph sends lifecycle notifications (validated like `notificationUrl`); omitted when not given. */
  lifecycleNotificationUrl?: string;
  /** How long the subscription lasts before it must be renewed. @default 2880 (two days) */
  lifetimeMinutes?: number;
}

/** A subscription as Graph answered it. */
export interface CallRecordSubscription {
  /** Graph's subscription id: keep it to renew or delete the subscription. */
  id: string;
  /** When Graph stops notifying unless renewed, as Graph said it. */
  expirationDateTime: string;
  /** The resource subscribed to. */
  resource: string;
}

// Graph documents a per-resource maximum lifetime that PROVIDERS.md does not give; two days is
// comfortably under what is commonly cited for call records, and apps renew daily.
const DEFAULT_LIFETIME_MINUTES = 2880;
const RESOURCE = '/communications/callRecords';

/** Creates, renews and deletes the call-record subscription that drives the adapter's webhook. */
export interface SubscriptionClient {
  /** `POST /v1.0/subscriptions`; Graph validates the URL before it answers 201. */
  create(request: CallRecordSubscriptionRequest, clientState: string): Promise<CallRecordSubscription>;
  /** `PATCH /v1.0/subscriptions/{id}` with a new expiry (200). */
  renew(id: string, lifetimeMinutes?: number): Promise<CallRecordSubscription>;
  /** `DELETE /v1.0/subscriptions/{id}` (204); already gone counts as done. */
  remove(id: string): Promise<void>;
}

/** A subscription client over the Graph HTTP client, with `now` for expiry times. */
export function createSubscriptionClient(graph: ProviderHttpClient, now: () => number): SubscriptionClient {
  const expiry = (lifetimeMinutes = DEFAULT_LIFETIME_MINUTES) => {
    if (!(lifetimeMinutes > 0)) throw new BridgeError('INVALID_INPUT', 'teams: lifetimeMinutes must be positive', { provider: 'teams' });
    return formatInstant(now() + lifetimeMinutes * 60_000);
  };
  const path = (id: string) => `/v1.0/subscriptions/${encodeURIComponent(id)}`;

  return {
    async create(request, clientState) {
      if (!/^https?:\/\//i.test(request.notificationUrl)) {
        throw new BridgeError('INVALID_INPUT', 'teams: notificationUrl must be an absolute URL', { provider: 'teams' });
      }
      const { data } = await graph.request<unknown>({
        method: 'POST',
        path: '/v1.0/subscriptions',
        body: {
          changeType: 'created,updated',
          notificationUrl: request.notificationUrl,
          ...(request.lifecycleNotificationUrl === undefined ? {} : { lifecycleNotificationUrl: request.lifecycleNotificationUrl }),
          resource: RESOURCE,
          expirationDateTime: expiry(request.lifetimeMinutes),
          clientState,
        },
      });
      return asSubscription(data, 'POST /subscriptions');
    },
    async renew(id, lifetimeMinutes) {
      const { data } = await graph.request<unknown>({ method: 'PATCH', path: path(id), body: { expirationDateTime: expiry(lifetimeMinutes) } });
      return asSubscription(data, 'PATCH /subscriptions');
    },
    async remove(id) {
      try {
        await graph.request({ method: 'DELETE', path: path(id) });
      } catch (error) {
        if (!BridgeError.hasCode(error, 'NOT_FOUND')) throw error;
      }
    },
  };
}

function asSubscription(data: unknown, what: string): CallRecordSubscription {
  const subscription = data as Partial<CallRecordSubscription> | null;
  if (typeof subscription?.id !== 'string' || typeof subscription.expirationDateTime !== 'string') {
    throw new BridgeError('PROVIDER_REJECTED', `teams: ${what} returned no subscription id and expiry`, { provider: 'teams' });
  }
  return { id: subscription.id, expirationDateTime: subscription.expirationDateTime, resource: String(subscription.resource ?? RESOURCE) };
}
