import { agora } from '../../adapters/agora.js';
import { startAgoraFake } from '../../testing/agora-fake.js';
import type { DemoProvider } from './provider.js';

/** Agora in the sandbox demo: a browser page joins a channel with a locally minted token. */
export const agoraDemo: DemoProvider = {
  provider: 'agora',
  deviceHandle: 'sandbox-ops-device',
  citizen: { platform: 'android', browser: true },
  async open() {
    const fake = await startAgoraFake();
    return { fake, adapter: agora({ ...fake.adapterOptions(), joinPageUrl: 'https://verify.sandbox.invalid/agora' }) };
  },
};
