import { facetime } from '../../adapters/facetime.js';
import { startFaceTimeFake } from '../../testing/facetime-fake.js';
import type { DemoProvider } from './provider.js';

/** FaceTime in the sandbox demo: an Android phone joins one of the device's pooled web links; the supervisor attests the rest. */
export const faceTimeDemo: DemoProvider = {
  provider: 'facetime',
  deviceHandle: '+442072221234',
  citizen: { platform: 'android', browser: true },
  async open() {
    const adapter = facetime();
    const fake = startFaceTimeFake(adapter);
    adapter.registerLinks('sandbox-ops-device', fake.createLinks(3));
    return { adapter, fake };
  },
};
