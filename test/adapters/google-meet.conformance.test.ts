import { auth } from '@googleapis/meet';
import { googleMeet } from '../../src/adapters/google-meet.js';
import { startGoogleMeetFake, testAdapter } from '../../src/testing/index.js';

// The app hands the adapter an OAuth2Client holding the ops device's refresh token; its token endpoint is the fake's.
testAdapter({
  name: 'google-meet (app-supplied OAuth2Client)',
  async setup({ sleep }) {
    const secrets: string[] = [];
    const fake = await startGoogleMeetFake({ onTokenIssued: (token) => secrets.push(token) });
    secrets.push(fake.clientSecret, fake.refreshToken);
    const client = new auth.OAuth2({ clientId: fake.clientId, clientSecret: fake.clientSecret, endpoints: { oauth2TokenUrl: fake.tokenUrl } });
    client.setCredentials({ refresh_token: fake.refreshToken });
    const adapter = googleMeet({ auth: client, rootUrl: fake.rootUrl, sleep });
    return { adapter, fake, deviceHandle: fake.deviceUser, secrets };
  },
});

// The adapter builds its own client from the three credentials; the fake varies what PROVIDERS.md leaves open.
testAdapter({
  name: 'google-meet (credentials in options, one-item pages, signed-in citizen, empty end answer)',
  async setup({ sleep }) {
    const secrets: string[] = [];
    const fake = await startGoogleMeetFake({
      onTokenIssued: (token) => secrets.push(token),
      maxPageSize: 1,
      otherSide: 'signedinUser',
      endWithoutConference: 'empty',
      fractionDigits: 9,
    });
    secrets.push(fake.clientSecret, fake.refreshToken);
    const adapter = googleMeet({
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      refreshToken: fake.refreshToken,
      tokenUrl: fake.tokenUrl,
      rootUrl: fake.rootUrl,
      sleep,
    });
    return { adapter, fake, deviceHandle: fake.deviceUser, secrets };
  },
});
