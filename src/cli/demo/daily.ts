import { daily } from '../../adapters/daily.js';
import { startDailyFake } from '../../testing/daily-fake.js';
import type { DemoProvider } from './provider.js';

/** Daily in the sandbox demo: a private room any phone browser joins. */
export const dailyDemo: DemoProvider = {
  provider: 'daily',
  deviceHandle: 'sandbox-ops-device',
  citizen: { platform: 'android', browser: true },
  async open() {
    const fake = await startDailyFake({ domain: 'vcb-sandbox' });
    return { fake, adapter: daily({ apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl }) };
  },
};
