import { agora } from '../../src/adapters/agora.js';
import { startAgoraFake, testAdapter } from '../../src/testing/index.js';

// Agora makes no request to create a call: tokens are minted locally and a channel exists once someone joins.
const NO_CREATE_REQUEST = 'Agora has no create request: tokens are minted locally, so there is nothing to';

for (const userEvents of ['communication', 'host'] as const) {
  testAdapter({
    name: `agora (join/leave reported as ${userEvents === 'communication' ? '107/108' : '103/104'})`,
    async setup({ sleep }) {
      const fake = await startAgoraFake({ userEvents });
      const adapter = agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.example.police.uk/agora', sleep });
      return { adapter, fake, deviceHandle: 'ops-device-1', secrets: [fake.appCertificate, fake.webhookSecret, fake.customerSecret] };
    },
    optOut: {
      'provider-401-marks-unhealthy': `${NO_CREATE_REQUEST} refuse; a revoked certificate shows only when a client's join is refused (test/adapters/agora.test.ts covers a refused customer secret)`,
      'provider-429-retried-after-wait': `${NO_CREATE_REQUEST} rate-limit (test/adapters/agora.test.ts covers 429 on the ban request)`,
      'provider-429-storm-falls-back': `${NO_CREATE_REQUEST} rate-limit (test/adapters/agora.test.ts covers 429 on the ban request)`,
      'provider-5xx-create-not-retried': `${NO_CREATE_REQUEST} fail`,
      'provider-404-on-end-is-done':
        'ending POSTs a new ban rule, so nothing can already be gone; a 404 there means a wrong URL or App ID and is reported, not taken as done',
    },
  });
}
