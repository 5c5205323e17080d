// The core: provider-neutral and store-neutral. Importing it loads no provider SDK and no database driver.
export * from './core/adapter.js';
export * from './core/audit/access.js';
export * from './core/audit/entry.js';
export * from './core/audit/entry-columns.js';
export * from './core/audit/entry-query.js';
export * from './core/audit/merkle.js';
export * from './core/audit/personal-data-vault.js';
export * from './core/audit/erasure.js';
export * from './core/audit/store.js';
export * from './core/audit/verify.js';
export * from './core/audit/proof.js';
export * from './core/audit/prover.js';
export { BUNDLE_FORMAT, serializeBundle, type BundleEntry, type EvidenceBundle } from './core/audit/bundle.js';
export type { Disclosure, DisclosureRequest } from './core/audit/bundle-disclosure.js';
export * from './core/audit/bundle-export.js';
export * from './core/audit/bundle-verify.js';
export * from './core/audit/checkpoint.js';
export * from './core/audit/checkpoint-log.js';
export * from './core/audit/checkpoint-audit.js';
export * from './core/audit/checkpoint-signer.js';
export * from './core/audit/seal.js';
export {
  ed25519KeyId,
  formatVerifierKey,
  isValidKeyName,
  openNote,
  parseVerifierKey,
  signNote,
  type NoteFailure,
  type NoteOpening,
  type NoteSigner,
  type NoteVerifier,
} from './core/audit/signed-note.js';
export * from './core/audit/signing-key.js';
export * from './core/bridge.js';
export * from './core/call-state.js';
export * from './core/calls/call-columns.js';
export * from './core/calls/call-record.js';
export * from './core/clock.js';
export * from './core/errors.js';
export * from './core/http/access-token.js';
export * from './core/http/health-tracker.js';
export * from './core/http/provider-http.js';
export * from './core/http/retry-after.js';
export * from './core/json.js';
export * from './core/attestation.js';
export * from './core/officer-directory.js';
export * from './core/outcome.js';
export * from './core/personal-data.js';
export * from './core/provider-time.js';
export * from './core/reference.js';
export * from './core/reference-lookup.js';
export * from './core/room-directory.js';
export * from './core/routing/router.js';
export type { CallerInput, StartVerificationInput } from './core/start-input.js';
export * from './core/types.js';
export * from './core/user-agent.js';
export * from './core/validation.js';
export { VerificationCall, type CallEvents, type CallJoinDetails, type EndResult } from './core/calls/verification-call.js';
export type { WebhookOutcome } from './core/ingress/webhook-dispatch.js';
export * from './core/webhooks/http.js';
export * from './core/webhooks/fetch.js';
export * from './core/webhooks/refusal.js';
export * from './core/webhooks/secrets.js';
export * from './core/audit/append.js';
export * from './core/leases.js';
