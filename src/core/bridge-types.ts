import type { CallAdapter, WebhookRequest } from './adapter.js';
import type { ReadLogOptions } from './audit/access.js';
import type { LoggedCheckpoint } from './audit/checkpoint-log.js';
import type { CheckpointSigner } from './audit/checkpoint-signer.js';
import type { AuditEntry } from './audit/entry.js';
import type { BridgeStore } from './audit/store.js';
import type { AuditVerification } from './audit/verify.js';
import type { Clock } from './clock.js';
import type { BridgeError } from './errors.js';
import type { OfficerDirectory } from './officer-directory.js';
import type { ReferenceLookup } from './reference-lookup.js';
import type { StartVerificationInput } from './start-input.js';
import type { OpsRoom } from './types.js';
import type { VerificationCall } from './calls/verification-call.js';
import type { FailoverOptions } from './routing/route-and-create.js';
import type { WebhookOutcome } from './ingress/webhook-dispatch.js';
import type { BridgeLogger } from './bridge-logger.js';
import type { WebhookRefusalReason } from './webhooks/refusal.js';

/** A webhook as the server received it; the bridge stamps the receipt time if it is not given. */
export type IncomingWebhook = Omit<WebhookRequest, 'receivedAtMs'> & { receivedAtMs?: number };

/** How to build a bridge. */
export interface BridgeOptions {
  /** Where the evidence log and device leases live (`verification-call-bridge/stores/*`). */
  store: BridgeStore;
  /** The providers this deployment can use. */
  adapters: readonly CallAdapter[];
  /** The force's ops rooms, each with its one device. */
  rooms: readonly OpsRoom[];
  /** Secret for keyed hashes of personal data: base64 text or bytes, at least 32 bytes. Keep it for the log's life. */
  personalDataKey: string | Uint8Array;
  /** The force's provider preference, most preferred first. @default registration order */
  preference?: readonly string[];
  /** Wall clock for `at` and expiries. @default the system clock */
  clock?: Clock;
  /** The emergency number always offered. @default '999' */
  emergencyNumber?: string;
  /** How long a call may last; the provider's call and the device lease expire after it. @default 30 minutes */
  callTtlMs?: number;
  /** How long a verification reference is accepted. @default 15 minutes */
  referenceTtlMs?: number;
  /**
   * How long personal data (the citizen's number) is kept, apart from the log, before it is erased;
   * the log keeps only its keyed hash, so it verifies after erasure. @default 30 days
   */
  personalDataRetentionMs?: number;
  /** Labels every log entry as a sandbox run, never to be taken for real evidence. @default false */
  sandbox?: boolean;
  /** The force's officer lookup; unknown, off-duty or misnamed officers are flagged to the supervisor. @default none: `not-checked` */
  officerDirectory?: OfficerDirectory;
  /** Waits between polls of a `polling` provider during a call; the last repeats. @default [2000, 3000, 5000, 10000] */
  pollDelaysMs?: readonly number[];
  /**
   * Signs checkpoints of the log: each verification is sealed and a checkpoint signed when its call
   * ends or fails, and a checkpoint is signed whenever the newest is older than `everyMs` (or a
   * non-empty log has none). `everyMs` defaults to 24 hours. @default none
   */
  checkpoints?: { signer: CheckpointSigner; everyMs?: number };
  /**
   * This server's name in the call rows it carries (`owner`) and the job leases it holds; unique per
   * process sharing the store. @default a random `server-…`
   */
  serverId?: string;
  /**
   * How long a live call's device lease lasts without renewal. The server carrying the call renews it
   * every third of this; when that server dies, another server sharing the store adopts the call
   * within about 1⅓ × this, under a new lease epoch. @default 30000
   */
  adoptAfterMs?: number;
  /** Also receives every refused webhook (warn) and background failure (error), besides `bridge.on` listeners. */
  logger?: BridgeLogger;
  /** When a provider fails to create the call: how long one create may take, and the budget for trying the next routes. */
  failover?: FailoverOptions;
}

/** A refused or replayed webhook delivery, as `webhook-rejected` and the logger report it. */
export interface WebhookRejection {
  /** The provider the delivery claimed to come from. */
  provider: string;
  /** `WEBHOOK_INVALID` for a refusal, `DUPLICATE_EVENT` for a replay. */
  code: string;
  /** Why, as a stable word. */
  reason: WebhookRefusalReason;
  /** What was wrong, in words; never quotes a secret or a signature. */
  message: string;
}

/** Things a bridge reports that no single call owns. */
export interface BridgeEvents extends Record<string, unknown> {
  /** A webhook that was refused (bad signature, stale, unsigned, malformed) or was a replay. */
  'webhook-rejected': WebhookRejection;
  /** Background work (provider cleanup, lease release, sealing, signing, a listener) failed. */
  'background-error': BridgeError;
  /** A checkpoint was signed and logged; keep a copy outside the database to catch truncation and rewrites. */
  checkpoint: LoggedCheckpoint;
}

/** The SDK's entry point: starts verifications, takes provider webhooks, and guards the evidence log. */
export interface Bridge {
  /** Validates the request, logs it, routes it and creates the call; a missing route gives a phone fallback, not a throw. */
  startVerification(input: StartVerificationInput): Promise<VerificationCall>;
  /** This server's id, as call rows and job leases name it. */
  readonly serverId: string;
  /**
   * The handle this process holds for a verification (started, adopted or fetched here), as of its last
   * write or read, without asking the store; undefined if this process holds none (of finished calls it
   * keeps only the newest 256). Use `getCall` for the current view of any call.
   */
  call(verificationId: string): VerificationCall | undefined;
  /**
   * A working handle on any verification in the store, whichever server started it and after restarts,
   * brought up to date with the store; undefined when the store has no such verification.
   */
  getCall(verificationId: string): Promise<VerificationCall | undefined>;
  /**
   * Verifies a provider's webhook and applies it; throws WEBHOOK_INVALID for anything not genuine.
   * `receivedAtMs` defaults to the bridge's clock.
   */
  handleWebhook(provider: string, request: IncomingWebhook): Promise<WebhookOutcome>;
  /**
   * Erases the personal data whose retention has ended and logs what went (kind and keyed hash, never
   * the value); the bridge also does this hourly. Resolves to the number of values erased.
   */
  erasePersonalData(options: { actor: string }): Promise<number>;
  /**
   * Hands a link provider (FaceTime) links an operator made on a device, logging who registered how
   * many, or why the batch was refused (then rethrown); links themselves are never logged.
   */
  registerLinks(provider: string, request: { deviceId: string; links: readonly string[]; actor: string }): Promise<{ added: number; remaining: number }>;
  /** What the ops console sees for a reference the citizen reads out; works once, and every lookup is logged. */
  lookUpReference(reference: string, options: { actor: string }): Promise<ReferenceLookup>;
  /** Reads log entries for a person, logging the read first (who, why, what). */
  readLog(options: ReadLogOptions): Promise<AuditEntry[]>;
  /** Recomputes the whole log, logging that it was checked and by whom. */
  verifyLog(options: { actor: string }): Promise<AuditVerification>;
  /** Signs and logs a checkpoint of the log now; INVALID_CONFIG without `checkpoints`, AUDIT_TAMPERED if the log contradicts an earlier one. */
  signCheckpoint(): Promise<LoggedCheckpoint>;
  /** Subscribes to bridge-wide reports; returns the unsubscribe function. */
  on<K extends keyof BridgeEvents>(event: K, listener: (payload: BridgeEvents[K]) => void): () => void;
  /** Resolves when background work (cleanup after a provider ends a call) has finished. */
  idle(): Promise<void>;
  /** Waits for background work and stops the bridge; the store stays open (its owner closes it). */
  close(): Promise<void>;
}
