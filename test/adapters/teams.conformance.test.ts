import { teams } from '../../src/adapters/teams.js';
import { startTeamsFake, testAdapter } from '../../src/testing/index.js';

// Teams declares lifecycle 'operator' (Graph sends nothing while a meeting runs), so the kit's
// webhook-lifecycle tests skip themselves; test/adapters/teams.test.ts covers the call-record webhooks.
testAdapter({
  name: 'teams',
  async setup({ sleep }) {
    const fake = await startTeamsFake();
    const adapter = teams({
      ...fake.adapterOptions,
      sleep,
    });
    return { adapter, fake, deviceHandle: fake.userId, secrets: [fake.clientSecret, fake.clientState] };
  },
});
