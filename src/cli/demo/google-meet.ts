import { googleMeet } from '../../adapters/google-meet.js';
import { startGoogleMeetFake } from '../../testing/google-meet-fake.js';
import type { DemoProvider } from './provider.js';

// The sandbox device's Google user; the fake joins the ops device under it, so its role is recognised.
const SANDBOX_DEVICE_USER = 'users/100000000000000000001';

/** Google Meet in the sandbox demo: a space made with the device's own grant, its lifecycle polled. */
export const googleMeetDemo: DemoProvider = {
  provider: 'google-meet',
  deviceHandle: SANDBOX_DEVICE_USER,
  citizen: { platform: 'android', apps: ['google-meet'], browser: true },
  async open() {
    const fake = await startGoogleMeetFake({ deviceUser: SANDBOX_DEVICE_USER });
    const adapter = googleMeet({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      refreshToken: fake.refreshToken,
      tokenUrl: fake.tokenUrl,
      rootUrl: fake.rootUrl,
    });
    return { fake, adapter };
  },
};
