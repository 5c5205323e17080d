import type { CallAdapter, CallerCapabilities } from '../../index.js';
import type { ProviderFake } from '../../testing/provider-fake.js';

/** One provider the sandbox demo can run: a local fake of its API and an adapter wired to it. */
export interface DemoProvider {
  /** The provider id, as the router and the log name it. */
  provider: string;
  /** The ops device's handle on this provider. */
  deviceHandle: string;
  /** What the citizen's phone can do in the demo, so the router picks this provider. */
  citizen: CallerCapabilities;
  /** Starts the fake and an adapter wired to it; closing the fake is the caller's job. */
  open(): Promise<{ adapter: CallAdapter; fake: ProviderFake }>;
}
