import type { JsonObject } from './json.js';
import type { ProviderTime } from './provider-time.js';
import type { Flow, Platform } from './types.js';

/** The version of the adapter contract this core speaks; the bridge refuses any other. */
export const CALL_ADAPTER_SPECIFICATION_VERSION = 'v1';

/**
 * How an adapter learns what happens during a call: signed webhooks the provider pushes, the provider's
 * API polled by the bridge while the call is live, a client SDK, or operator attestation.
 */
export type LifecycleEvidence = 'webhook' | 'polling' | 'client' | 'operator';

/** How the other side joins: with the provider's app, or with a link in a browser. */
export type JoinAccess = 'app' | 'browser';

/** What an adapter declares it can do; the router and the conformance kit read this. */
export interface AdapterCapabilities {
  /** Platforms the other side can join from. */
  platforms: readonly Platform[];
  /** `app`: the provider's app must be installed; `browser`: a browser link is enough. */
  access: JoinAccess;
  /** How the other side joins on a platform where it differs from `access` (FaceTime: the app on iPhones only). */
  accessByPlatform?: Partial<Record<Platform, JoinAccess>>;
  /** Flows this provider can carry. */
  flows: readonly Flow[];
  /** Where lifecycle evidence comes from; `polling` adapters must implement `pollEvents`. */
  lifecycle: LifecycleEvidence;
  /** Whether the provider can record the call. */
  recording: boolean;
}

/** The other side of a call as an adapter sees it. */
export interface OtherSide {
  /** Her platform, when known. */
  platform?: Platform;
  /** How the router decided she joins. */
  access: JoinAccess;
  /** Her number (E.164), in the `callback` flow only, for the ops device to call; personal data the log never holds. */
  phoneNumber?: string;
}

/** What the bridge asks an adapter to create for one verification. */
export interface CreateCallRequest {
  /** The verification this call serves; adapters may use it to correlate, never as a secret. */
  verificationId: string;
  /** Who dials whom. */
  flow: Flow;
  /** The ops device and its handle on this adapter's provider. */
  device: { id: string; handle: string };
  /** The other side's platform, when known, and how the router decided she joins; absent means `capabilities.access`. */
  otherSide?: OtherSide;
  /** The call must not outlive this instant (log timestamp form). */
  expiresAt: string;
  /** The verification reference the officer gives; link providers put it in the citizen's prefilled message. */
  reference?: string;
}

/** How one side joins the call. */
export interface JoinDetails {
  /** What the person opens: a web link or an app link. */
  url: string;
  /** A bearer token that grants entry; a secret, never written to the log. */
  token?: string;
  /** The name the person appears under in the call. */
  displayName?: string;
}

/** The provider's answer to a create: where each side joins and what identifies the call. */
export interface CreatedCall {
  /** The provider's id for the call (room name, meeting id, channel); webhooks are matched on it. */
  providerCallId: string;
  /** How the ops device joins. */
  opsDevice: JoinDetails;
  /** How the other side (citizen, or officer in `officer-device`) joins. */
  otherSide: JoinDetails;
  /** When the provider says it created the call, as it said it. */
  providerCreatedAt?: ProviderTime;
  /** Non-secret, non-personal facts worth keeping as evidence (provider ids, expiry). */
  evidence?: JsonObject;
}

/** Identifies a created call when ending it. */
export interface ProviderCallRef {
  /** The verification the call serves. */
  verificationId: string;
  /** The provider's id for the call. */
  providerCallId: string;
}

/** A webhook exactly as it reached the server: adapters verify signatures over the raw bytes. */
export interface WebhookRequest {
  /** HTTP method. */
  method: string;
  /** Request path and query. */
  url: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body's bytes, untouched. */
  rawBody: Uint8Array;
  /** When the bridge received it, in epoch milliseconds, for timestamp-window checks. */
  receivedAtMs: number;
}

/**
 * The provider-neutral events every adapter normalises to. `chat.linked`: the other side messaged the
 * ops device with the verification reference, tying her chat to the call (WhatsApp).
 */
export type UniformEventType = 'call.started' | 'participant.joined' | 'participant.left' | 'call.ended' | 'recording.ready' | 'chat.linked';

/** Which side a participant event concerns. */
export type ParticipantRole = 'ops-device' | 'other-side' | 'unknown';

/** One lifecycle event from a provider, verified and normalised by the adapter. */
export interface ProviderEvent {
  /** The uniform type. */
  type: UniformEventType;
  /** The provider's own event type, kept as evidence. */
  providerType: string;
  /** The provider's id for the call this event belongs to. */
  providerCallId: string;
  /** The provider's unique id for this delivery's event; replays are caught on it. */
  providerEventId: string;
  /** When the provider says it happened, as it said it; the bridge normalises it. */
  providerTime?: ProviderTime;
  /** For participant events: which side. */
  participant?: { role: ParticipantRole; providerParticipantId?: string };
  /** Non-secret, non-personal payload facts worth keeping. */
  evidence?: JsonObject;
  /** Personal data the event identifies someone by (a chat id); the bridge logs only keyed hashes of it. */
  personalData?: Readonly<Record<string, string>>;
}

/** What the bridge tells an adapter once the supervisor has recorded an outcome, for the citizen's own record. */
export interface OutcomeConfirmation extends ProviderCallRef {
  /** The verification reference she was given. */
  reference: string;
  /** The supervisor's verdict. */
  outcome: 'verified' | 'not-verified' | 'inconclusive';
  /** The supervisor's collar number (never the name: the citizen needs only what she can quote). */
  supervisorCollarNumber: string;
  /** When the outcome was logged. */
  at: string;
}

/** An HTTP answer an adapter needs sent verbatim (URL validation challenges and the like). */
export interface WebhookReply {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** Response body. */
  body: string;
}

/** What a verified webhook amounts to. */
export type WebhookResult =
  | { kind: 'events'; events: ProviderEvent[] }
  | { kind: 'reply'; reply: WebhookReply }
  | { kind: 'ignored'; reason: string };

/** An adapter's own view of whether it can take calls now. */
export interface AdapterHealth {
  /** Whether the router may choose this provider. */
  ok: boolean;
  /** Why not, in words the ops room can act on. */
  reason?: string;
  /** True when the provider refused our credentials: a person must fix them, retrying will not. */
  credentialsInvalid?: boolean;
}

/** A live call of this adapter's provider, as the store has it, whichever server created it. */
export interface LiveCallRef {
  /** The provider's id for the call. */
  providerCallId: string;
  /** The ops device taking it. */
  deviceId: string;
}

/** How a client-library adapter finds calls it did not create in this process (another server, or before a restart). */
export interface LiveCallDirectory {
  /** The live call of this provider that was given this verification reference, if any. */
  withReference(reference: string): Promise<LiveCallRef | undefined>;
}

/** The contract every provider adapter implements; a plain object returned by a factory. */
export interface CallAdapter {
  /** The contract version this adapter was written against. */
  readonly specificationVersion: typeof CALL_ADAPTER_SPECIFICATION_VERSION;
  /** The provider id used in routing, config and the log, e.g. `daily`. */
  readonly provider: string;
  /** Other names the provider is known by (e.g. `skype` for Teams). */
  readonly aliases?: readonly string[];
  /** What this adapter can do. */
  readonly capabilities: AdapterCapabilities;
  /** Creates the call on the provider for a device and a flow. */
  createCall(request: CreateCallRequest): Promise<CreatedCall>;
  /** Ends the call and releases provider resources; must succeed if they are already gone. */
  endCall(call: ProviderCallRef): Promise<void>;
  /** Verifies a webhook's authenticity and normalises it; throws WEBHOOK_INVALID when it is not genuine. */
  verifyWebhook(request: WebhookRequest): Promise<WebhookResult>;
  /**
   * Every event the provider's API holds for the call so far, for `polling` adapters. Returning events
   * already returned before is expected: the log keeps each `providerEventId` once.
   */
  pollEvents?(call: ProviderCallRef): Promise<ProviderEvent[]>;
  /**
   * For `client` adapters, whose events come from a client library the app runs (a WhatsApp Web
   * session): the bridge subscribes once and logs what `sink` receives; returns the unsubscribe function.
   * `calls` finds calls other servers (or this one before a restart) created, through the store.
   */
  subscribeEvents?(sink: (events: ProviderEvent[]) => void, calls: LiveCallDirectory): () => void;
  /**
   * For link providers whose links are made on the ops device (FaceTime web links): takes a batch for
   * a device, all or none; throws INVALID_INPUT naming the bad link. Reached through `bridge.registerLinks`, which logs it.
   */
  registerLinks?(deviceId: string, links: readonly string[]): { added: number; remaining: number };
  /** Sends the other side a written record of the outcome on the provider (a WhatsApp message); optional. */
  confirmOutcome?(confirmation: OutcomeConfirmation): Promise<void>;
  /** Reports whether the adapter can take calls now. */
  health(): Promise<AdapterHealth>;
  /**
   * Resolves once what the adapter prepares at start (an OAuth access token fetched ahead) has arrived
   * or failed, so a first create costs no extra round trip; never rejects, since a failure shows in
   * `health()`. Optional: an adapter with nothing to prepare omits it.
   */
  ready?(): Promise<void>;
  /**
   * Why this device cannot take a call for this caller now, or undefined when it can; for adapters
   * whose capacity is per device (a FaceTime device with no web links left). The router skips it.
   */
  checkDevice?(request: Required<Pick<CreateCallRequest, 'device' | 'otherSide' | 'flow'>>): Promise<string | undefined>;
}
