import { zoom, zoomVideoSdk } from '../../src/adapters/zoom.js';
import { startZoomFake, startZoomVideoSdkFake, testAdapter, type ZoomIdleEndAnswer } from '../../src/testing/index.js';

// Zoom documents no answer for ending a meeting that is not in progress, so the suite runs against both.
const idleEndAnswers: [string, ZoomIdleEndAnswer][] = [
  ['204', 'no-content'],
  ['400 code 3001', { status: 400, code: 3001, message: 'Meeting is not found or has expired.' }],
];

for (const [label, idleEndAnswer] of idleEndAnswers) {
  testAdapter({
    name: `zoom meetings (status end of an idle meeting answers ${label})`,
    async setup({ sleep }) {
      const fake = await startZoomFake({ idleEndAnswer });
      const adapter = zoom({
        accountId: fake.accountId,
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
        webhookSecretToken: fake.webhookSecretToken,
        baseUrl: fake.baseUrl,
        oauthBaseUrl: fake.oauthBaseUrl,
        sleep,
      });
      return { adapter, fake, deviceHandle: fake.host.email, secrets: [fake.clientSecret, fake.webhookSecretToken] };
    },
  });
}

const NO_HTTP = 'zoom-video-sdk signs its tokens locally and makes no HTTP request';
testAdapter({
  name: 'zoom video sdk',
  async setup() {
    const fake = await startZoomVideoSdkFake();
    const adapter = zoomVideoSdk({ sdkKey: fake.sdkKey, sdkSecret: fake.sdkSecret, joinPageUrl: 'https://verify.police.example/zoom' });
    return { adapter, fake, deviceHandle: 'ops-device', secrets: [fake.sdkSecret] };
  },
  optOut: {
    'creates-call': 'Zoom creates a Video SDK session only when a page joins it with a token, so no provider-side call exists right after create',
    'provider-401-marks-unhealthy': `${NO_HTTP}; Zoom refuses a wrong or regenerated SDK secret only when a page joins, which the server never sees`,
    'provider-404-on-end-is-done': `${NO_HTTP} to end a call: PROVIDERS.md documents no REST call to end a Video SDK session`,
    'provider-429-retried-after-wait': NO_HTTP,
    'provider-429-storm-falls-back': NO_HTTP,
    'provider-5xx-create-not-retried': NO_HTTP,
    'provider-5xx-end-retried': NO_HTTP,
  },
});
