import { zoom } from '../../adapters/zoom.js';
import { startZoomFake } from '../../testing/zoom-fake.js';
import type { DemoProvider } from './provider.js';

const OPS_DEVICE_USER = 'ops-device@vcb-sandbox.invalid';

/** Zoom in the sandbox demo: a passcode-protected meeting the citizen joins in the Zoom app. */
export const zoomDemo: DemoProvider = {
  provider: 'zoom',
  deviceHandle: OPS_DEVICE_USER,
  citizen: { platform: 'android', apps: ['zoom'], browser: true },
  async open() {
    const fake = await startZoomFake({ host: { email: OPS_DEVICE_USER } });
    const adapter = zoom({
      accountId: fake.accountId,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      webhookSecretToken: fake.webhookSecretToken,
      baseUrl: fake.baseUrl,
      oauthBaseUrl: fake.oauthBaseUrl,
    });
    return { fake, adapter };
  },
};
