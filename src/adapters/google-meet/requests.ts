import type { MethodOptions, meet_v2 } from '@googleapis/meet';
import { BridgeError, toBridgeError } from '../../index.js';
import type { MeetConnection } from './client.js';
import { failureSource, toMeetError } from './errors.js';

/**
 * When a failed request may be sent again: `idempotent` ones after timeouts, network errors, 408, 429
 * and 5xx; `only-after-429` ones (spaces.create) only when Meet rate-limited them, since after a 5xx or
 * a timeout Meet may have created the space and a repeat would make a second one.
 */
export type RetryRule = 'idempotent' | 'only-after-429';

/** Settings for {@link createMeetRequester}: the SDK's HTTP rules (src/core/http/provider-http.ts). */
export interface MeetRequestSettings {
  /** Per-attempt timeout in milliseconds. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  /** A `Retry-After` longer than this fails at once. */
  maxRetryAfterMs: number;
  /** How to wait between attempts. */
  sleep: (ms: number) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values. */
  now: () => number;
  /** The fetch gaxios uses for Meet requests. */
  fetch?: typeof globalThis.fetch;
  /** Told of every final outcome, so the adapter can track its health. */
  onOutcome: (error: BridgeError | undefined) => void;
}

/** Sends one Meet method through the generated client, under the SDK's retry and error rules. */
export interface MeetRequester {
  /** Resolves to the response body, or throws a BridgeError. */
  send<T>(operation: string, rule: RetryRule, invoke: (api: meet_v2.Meet, options: MethodOptions) => Promise<{ data: T }>): Promise<T>;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * gaxios's own retries are switched off (googleapis-common turns them on by default) so these rules
 * are the only ones: Retry-After honoured up to a cap, the injectable sleep used, POSTs guarded. A 401
 * from Meet gets one token refresh and one more try, which does not count as a retry; a second 401,
 * or a refresh Google refuses, means the credential is dead.
 */
export function createMeetRequester(settings: MeetRequestSettings, connect: () => Promise<MeetConnection>): MeetRequester {
  const methodOptions: MethodOptions = {
    retry: false,
    timeout: settings.timeoutMs,
    ...(settings.fetch ? { fetchImplementation: settings.fetch } : {}),
  };

  async function attempt<T>(operation: string, rule: RetryRule, invoke: (api: meet_v2.Meet, options: MethodOptions) => Promise<{ data: T }>): Promise<T> {
    const { api, tokens } = await connect();
    let refreshed = false;
    for (let retries = 0; ; ) {
      const tokenSent = await tokens.current();
      let failure: BridgeError;
      try {
        return (await invoke(api, { ...methodOptions })).data;
      } catch (error) {
        failure = toMeetError(error, operation, settings.now());
      }
      const source = failureSource(failure);
      if (source === 'api' && failure.statusCode === 401) {
        if (refreshed) throw refusedAfterRefresh(operation, failure);
        refreshed = true;
        await tokens.refreshAfterRejection(tokenSent).catch((error: unknown) => {
          throw toMeetError(error, 'token refresh', settings.now());
        });
        continue;
      }
      const status = failure.statusCode ?? 0;
      const mayRetry =
        (source === 'api' && status === 429) ||
        (rule === 'idempotent' && (source === 'network' || (source === 'api' && RETRYABLE_STATUS.has(status))));
      const waitMs = failure.retryAfterMs ?? 200 * 2 ** retries;
      if (!mayRetry || retries >= settings.maxRetries || waitMs > settings.maxRetryAfterMs) throw failure;
      await settings.sleep(waitMs);
      retries += 1;
    }
  }

  return {
    async send(operation, rule, invoke) {
      try {
        const data = await attempt(operation, rule, invoke);
        settings.onOutcome(undefined);
        return data;
      } catch (error) {
        const failure = toBridgeError(error, 'PROVIDER_UNAVAILABLE', `google-meet ${operation} failed`, 'google-meet');
        settings.onOutcome(failure);
        throw failure;
      }
    },
  };
}

function refusedAfterRefresh(operation: string, failure: BridgeError): BridgeError {
  return new BridgeError('PROVIDER_CREDENTIALS_INVALID', `google-meet ${operation}: Meet refused a freshly refreshed access token (401)`, {
    provider: 'google-meet',
    statusCode: 401,
    ...(failure.responseBody === undefined ? {} : { responseBody: failure.responseBody }),
    details: { source: 'api' },
  });
}
