import { teams } from '../../adapters/teams.js';
import { startTeamsFake } from '../../testing/teams-fake.js';
import type { DemoProvider } from './provider.js';

/**
 * Teams in the sandbox demo: a Graph online meeting opened in the Teams app. Graph reports nothing while
 * the meeting runs, so the live states come from the operator's attestation; the call record's timings
 * arrive after the call ends.
 */
export const teamsDemo: DemoProvider = {
  provider: 'teams',
  deviceHandle: '5f0c8a1e-3b7d-4c2a-9e61-7d2b4a8c0f13',
  citizen: { platform: 'android', apps: ['teams'], browser: true },
  async open() {
    const fake = await startTeamsFake({
      users: [{ id: teamsDemo.deviceHandle, displayName: 'SANDBOX Ops Device', userPrincipalName: 'ops-device@sandbox.example' }],
    });
    return { fake, adapter: teams(fake.adapterOptions) };
  },
};
