import type { CreatedCall } from './adapter.js';
import type { AuditEntryInput } from './audit/entry.js';
import { formatInstant } from './clock.js';
import type { JsonObject } from './json.js';
import type { RouteDecision } from './routing/router.js';
import type { ParsedStart } from './start-input.js';
import type { Verification } from './types.js';

// What the bridge writes in its own entries, kept apart from how it runs calls.

/** The `verification.created` entry: the verification and the caller as parsed, never personal data in clear. */
export function createdEntry(verification: Verification, request: ParsedStart): Omit<AuditEntryInput, 'verificationId'> {
  const { id: _id, ...details } = verification;
  return {
    type: 'verification.created',
    source: 'sdk',
    actor: request.actor,
    data: {
      ...(details as unknown as JsonObject),
      caller: { ...request.caller, ...(request.callerInferred ? { inferredFrom: 'user-agent' } : {}) } as JsonObject,
      ...(request.citizenPhoneNumberHash ? { citizenPhoneNumberHash: request.citizenPhoneNumberHash } : {}),
      transition: { from: null, to: 'requested' },
    },
  };
}

/** The `route.decided` entry's data: the choice, every rejection, the fallback and the lease. */
export function decisionData(decision: RouteDecision): JsonObject {
  const base = {
    kind: decision.kind,
    rejected: decision.rejected.map((r) => ({ ...r })),
    fallback: { ...decision.fallback },
  };
  if (decision.kind === 'phone-fallback') return base;
  const { lease } = decision;
  return {
    ...base,
    chosen: { ...decision.chosen },
    lease: { deviceId: lease.deviceId, epoch: lease.epoch, expiresAt: formatInstant(lease.expiresAtMs) },
  };
}

/** The `call.created` entry's data: where each side joins (never the secrets) and how long the provider took. */
export function createdCallData(created: CreatedCall, durationMs: number): JsonObject {
  return {
    providerCallId: created.providerCallId,
    otherSideUrl: withoutSecrets(created.otherSide.url),
    opsDeviceUrl: withoutSecrets(created.opsDevice.url),
    tokensIssued: { otherSide: created.otherSide.token !== undefined, opsDevice: created.opsDevice.token !== undefined },
    durationMs,
    ...(created.evidence ? { evidence: created.evidence } : {}),
  };
}

/** A join URL as the log keeps it. */
// Join URLs can carry tokens in the query or fragment (a Zoom start_url does); the log keeps only where it points.
export function withoutSecrets(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol.startsWith('http') ? `${parsed.origin}${parsed.pathname}` : `${parsed.protocol}…`;
  } catch {
    return '(not a URL)';
  }
}
