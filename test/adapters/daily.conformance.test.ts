import { daily } from '../../src/adapters/daily.js';
import { startDailyFake, testAdapter } from '../../src/testing/index.js';

for (const webhookTimestampUnit of ['seconds', 'milliseconds'] as const) {
  testAdapter({
    name: `daily (webhook timestamps in ${webhookTimestampUnit})`,
    async setup({ sleep }) {
      const fake = await startDailyFake({ webhookTimestampUnit });
      const adapter = daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl, sleep });
      return { adapter, fake, deviceHandle: 'ops-device-1', secrets: [fake.apiKey, fake.webhookSecret] };
    },
  });
}
