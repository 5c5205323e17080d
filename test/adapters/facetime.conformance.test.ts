import { facetime } from '../../src/adapters/facetime.js';
import { startFaceTimeFake, testAdapter } from '../../src/testing/index.js';

const NO_API = 'FaceTime has no server API: nothing to';

testAdapter({
  name: 'facetime',
  async setup() {
    const adapter = facetime();
    const fake = startFaceTimeFake(adapter);
    adapter.registerLinks('conformance-device', fake.createLinks(5));
    return { adapter, fake, deviceHandle: '+442072221234', secrets: [] };
  },
  optOut: {
    'provider-401-marks-unhealthy': `${NO_API} authenticate, so no credential can be refused`,
    'provider-404-on-end-is-done': `${NO_API} call at the end`,
    'provider-429-retried-after-wait': `${NO_API} call, so nothing is rate-limited`,
    'provider-429-storm-falls-back': `${NO_API} call, so nothing is rate-limited`,
    'provider-5xx-create-not-retried': `${NO_API} call at create: links are built or taken from the device's pool`,
    'provider-5xx-end-retried': `${NO_API} call at the end`,
  },
});
