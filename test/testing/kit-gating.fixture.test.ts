// Run by kit-gating.test.ts (and by the suite as a plain test file): an adapter that declares
// operator-attested lifecycle and no recording, with one explicit opt-out.
import { daily } from '../../src/adapters/daily.js';
import { startDailyFake, testAdapter } from '../../src/testing/index.js';

testAdapter({
  name: 'operator-lifecycle adapter',
  async setup({ sleep }) {
    const fake = await startDailyFake();
    const base = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep });
    const adapter = { ...base, capabilities: { ...base.capabilities, lifecycle: 'operator' as const, recording: false } };
    return { adapter, fake, deviceHandle: 'ops-device', secrets: [fake.apiKey] };
  },
  optOut: { 'provider-5xx-end-retried': 'this provider has no end request to retry' },
});
