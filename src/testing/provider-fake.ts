import type { Delivery, Fault } from './fake-server.js';

/** A provider-neutral step in a call's life, which each fake turns into its provider's real webhooks. */
export type LifecycleStep = 'ops-joined' | 'other-joined' | 'other-left' | 'ops-left' | 'call-ended' | 'recording-ready';

/** How to spoil a delivery, to check the adapter refuses it. */
export type Tamper = 'signature' | 'stale' | 'unsigned';

/** What the conformance kit needs from a provider's fake. */
export interface ProviderFake {
  /**
   * Makes a step happen: sends the webhooks it produces, signed as the provider would (or spoiled), and
   * returns each delivery. A polling provider's fake records the step in its API and returns [].
   */
  play(step: LifecycleStep, providerCallId: string, options?: { tamper?: Tamper }): Promise<Delivery[]>;
  /** Sends a delivery again, byte for byte. */
  replay(delivery: Delivery): Promise<Delivery>;
  /** Makes the provider's API fail its next requests for one operation of the adapter. */
  failNext(operation: 'create' | 'end', fault: Omit<Fault, 'method' | 'path'>): void;
  /** From now on the provider refuses the adapter's credentials, as after a revoked key or a wrong secret. */
  revokeCredentials(): void;
  /** Whether the provider still holds the call (room, meeting, channel). */
  holdsCall(providerCallId: string): boolean;
  /** Where the fake delivers webhooks. */
  deliverWebhooksTo(url: string): void;
  /** Stops the fake. */
  close(): Promise<void>;
}
