import { randomUUID } from 'node:crypto';
import type { FakeResponse } from '../fake-server.js';
import { graphError } from './errors.js';
import { graphDateTime } from './meetings.js';

/** A change-notification subscription as the fake holds it. */
export interface FakeSubscription {
  id: string;
  resource: string;
  changeType: string[];
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: string;
}

/** Settings for {@link createSubscriptionStore}. */
export interface SubscriptionStoreSettings {
  /** The app's id, reported as `applicationId`. */
  applicationId: string;
  /** Longest lifetime Graph grants a call-record subscription; not in PROVIDERS.md, so configurable. */
  maxLifetimeMinutes: number;
  /** How long Graph waits for the validation echo (PROVIDERS.md §4.4: 10 s). */
  validationTimeoutMs: number;
  now: () => number;
}

/** `/v1.0/subscriptions`: create (validating the URL first), renew, delete. */
export interface SubscriptionStore {
  /** `POST` (201 once the notification URL echoed the validation token). */
  create(body: unknown, origin: string): Promise<FakeResponse>;
  /** `PATCH /{id}` (200). */
  renew(id: string, body: unknown, origin: string): FakeResponse;
  /** `DELETE /{id}` (204). */
  remove(id: string): FakeResponse;
  /** Subscriptions that have not expired. */
  active(): FakeSubscription[];
}

const CHANGE_TYPES = new Set(['created', 'updated', 'deleted']);
const CALL_RECORDS = /^\/?communications\/callRecords$/;
// clientState's 128-character limit is from Graph's subscription reference, not PROVIDERS.md.
const MAX_CLIENT_STATE = 128;

/** A subscription store for the fake. */
export function createSubscriptionStore(settings: SubscriptionStoreSettings): SubscriptionStore {
  const subscriptions = new Map<string, FakeSubscription>();
  const isActive = (s: FakeSubscription) => Date.parse(s.expirationDateTime) > settings.now();

  function expiryProblem(value: unknown): string | undefined {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) return 'expirationDateTime is required and must be a date-time.';
    const minutes = (Date.parse(value) - settings.now()) / 60_000;
    if (minutes <= 0) return 'expirationDateTime must be in the future.';
    if (minutes > settings.maxLifetimeMinutes) return `Subscription expiration can only be ${settings.maxLifetimeMinutes} minutes in the future.`;
    return undefined;
  }

  function view(subscription: FakeSubscription, origin: string): unknown {
    return {
      '@odata.context': `${origin}/v1.0/$metadata#subscriptions/$entity`,
      id: subscription.id,
      resource: subscription.resource,
      applicationId: settings.applicationId,
      changeType: subscription.changeType.join(','),
      clientState: subscription.clientState ?? null,
      notificationUrl: subscription.notificationUrl,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl ?? null,
      expirationDateTime: subscription.expirationDateTime,
      creatorId: settings.applicationId,
    };
  }

  return {
    async create(body, origin) {
      const input = (body ?? {}) as Record<string, unknown>;
      const changeType = typeof input.changeType === 'string' ? input.changeType.split(',') : [];
      if (changeType.length === 0 || !changeType.every((c) => CHANGE_TYPES.has(c))) return graphError(400, 'changeType must list created, updated or deleted.');
      if (typeof input.resource !== 'string' || !CALL_RECORDS.test(input.resource)) {
        return graphError(400, 'This fake serves subscriptions to /communications/callRecords only.');
      }
      if (typeof input.notificationUrl !== 'string') return graphError(400, 'notificationUrl is required.');
      const lifecycleUrl = input.lifecycleNotificationUrl;
      if (lifecycleUrl !== undefined && typeof lifecycleUrl !== 'string') return graphError(400, 'lifecycleNotificationUrl must be a URL.');
      if (input.clientState !== undefined && (typeof input.clientState !== 'string' || input.clientState.length > MAX_CLIENT_STATE)) {
        return graphError(400, `clientState must be a string of at most ${MAX_CLIENT_STATE} characters.`);
      }
      const problem = expiryProblem(input.expirationDateTime);
      if (problem) return graphError(400, problem);
      for (const url of [input.notificationUrl, ...(typeof lifecycleUrl === 'string' ? [lifecycleUrl] : [])]) {
        const failure = await validate(url, settings.validationTimeoutMs);
        if (failure) return graphError(400, `Subscription validation request failed. ${failure}`, 'ValidationError');
      }
      const subscription: FakeSubscription = {
        id: randomUUID(),
        resource: input.resource,
        changeType,
        notificationUrl: input.notificationUrl,
        ...(typeof lifecycleUrl === 'string' ? { lifecycleNotificationUrl: lifecycleUrl } : {}),
        ...(typeof input.clientState === 'string' ? { clientState: input.clientState } : {}),
        expirationDateTime: graphDateTime(Date.parse(input.expirationDateTime as string), '0000'),
      };
      subscriptions.set(subscription.id, subscription);
      return { status: 201, body: view(subscription, origin) };
    },
    renew(id, body, origin) {
      const subscription = subscriptions.get(id);
      if (!subscription || !isActive(subscription)) return graphError(404, `The subscription '${id}' was not found.`);
      const expirationDateTime = (body as { expirationDateTime?: unknown } | undefined)?.expirationDateTime;
      const problem = expiryProblem(expirationDateTime);
      if (problem) return graphError(400, problem);
      subscription.expirationDateTime = graphDateTime(Date.parse(expirationDateTime as string), '0000');
      return { status: 200, body: view(subscription, origin) };
    },
    remove(id) {
      if (!subscriptions.delete(id)) return graphError(404, `The subscription '${id}' was not found.`);
      return { status: 204 };
    },
    active: () => [...subscriptions.values()].filter(isActive),
  };
}

/**
 * Graph's validation (PROVIDERS.md §4.4): POST `{url}?validationToken=…` as text/plain; the endpoint must
 * answer 200, text/plain, the URL-decoded token, within the timeout. The token is opaque; this one has
 * spaces and colons, which form-encoding turns into `+` and `%3A`, so an echo still encoded fails.
 */
async function validate(url: string, timeoutMs: number): Promise<string | undefined> {
  const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
  const target = `${url}${url.includes('?') ? '&' : '?'}${new URLSearchParams({ validationToken: token }).toString()}`;
  let response: Response;
  try {
    response = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return `The notification URL did not answer within ${timeoutMs / 1000} s.`;
  }
  const text = await response.text();
  if (response.status !== 200) return `The notification URL answered ${response.status}, not 200.`;
  if (!response.headers.get('content-type')?.startsWith('text/plain')) return 'The answer was not text/plain.';
  if (text !== token) return 'The answer did not match the validationToken.';
  return undefined;
}
