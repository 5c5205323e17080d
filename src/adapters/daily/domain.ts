import { BridgeError, type ProviderHttpClient } from '../../index.js';

/** The fields of `GET /` (Daily's domain configuration) the adapter reads. */
interface DailyDomainConfig {
  domain_name?: unknown;
  domain_id?: unknown;
}

/**
 * The domain id that self-signed meeting tokens must carry as `d`: the one configured, else read once
 * from Daily's domain configuration (`GET /v1/`, whose answer holds `domain_id`; daily-ruby
 * `GetDomainConfig200Response`) and kept, since a domain's id never changes. A failed read is not
 * kept, so the next call asks again.
 */
export function dailyDomainId(http: ProviderHttpClient, configured: () => string | undefined): () => Promise<string> {
  let known: Promise<string> | undefined;
  return () => {
    const given = configured();
    if (given !== undefined && given.length > 0) return Promise.resolve(given);
    known ??= read(http).catch((error: unknown) => {
      known = undefined;
      throw error;
    });
    return known;
  };
}

async function read(http: ProviderHttpClient): Promise<string> {
  const { data } = await http.request<DailyDomainConfig>({ method: 'GET', path: '/' });
  if (typeof data?.domain_id !== 'string' || data.domain_id.length === 0) {
    throw new BridgeError('PROVIDER_REJECTED', 'daily: GET / (domain configuration) returned no domain_id', { provider: 'daily' });
  }
  return data.domain_id;
}
