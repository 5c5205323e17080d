import type { BridgeStore } from '../audit/store.js';
import { createdEntry } from '../bridge-entries.js';
import { formatInstant } from '../clock.js';
import { BridgeError, invalidInput } from '../errors.js';
import { checkOfficer, type OfficerCheck, type OfficerDirectory } from '../officer-directory.js';
import type { PersonalDataHasher } from '../personal-data.js';
import { newVerificationId, newVerificationReference } from '../reference.js';
import { routeAndCreate, type RouteAndCreateContext } from '../routing/route-and-create.js';
import { parseStartInput, type ParsedStart, type StartVerificationInput } from '../start-input.js';
import type { OpsRoom, Verification } from '../types.js';
import type { CallKeeper } from './call-keeper.js';
import type { CallRegistry } from './call-registry.js';
import type { VerificationCall } from './verification-call.js';

// Six characters from a 29-letter alphabet (about 600 million references): five clashes in a row mean a broken generator.
const REFERENCE_ATTEMPTS = 5;

/** What starting a verification needs from the bridge. @internal */
export interface StartContext extends RouteAndCreateContext {
  store: BridgeStore;
  registry: CallRegistry;
  keeper: CallKeeper;
  serverId: string;
  rooms: readonly OpsRoom[];
  providers: ReadonlySet<string>;
  personalData: PersonalDataHasher;
  officerDirectory: OfficerDirectory | undefined;
  now(): number;
  callTtlMs: number;
  referenceTtlMs: number;
  personalDataRetentionMs: number;
  report(error: unknown): void;
  /** Called once the provider's call exists on this server: start its polls. */
  created(call: VerificationCall): void;
}

/**
 * Validates the request, opens the verification in the store under a reference no unexpired
 * verification holds, then routes and creates the call (failing over between routes).
 */
export async function startVerification(input: StartVerificationInput, context: StartContext): Promise<VerificationCall> {
  const request = parseStartInput(input, context.providers, context.personalData);
  const rooms = selectRooms(context.rooms, request.roomIds);
  const officerCheck = await checkOfficer(context.officerDirectory, request.officer, context.report);
  const nowMs = context.now();
  const call = context.registry.create(newVerificationId());
  if (request.citizenPhoneNumber !== undefined && request.citizenPhoneNumberHash !== undefined) {
    await context.store.putPersonalData({
      hash: request.citizenPhoneNumberHash,
      kind: 'phone',
      value: request.citizenPhoneNumber,
      retainUntilMs: nowMs + context.personalDataRetentionMs,
    });
  }
  await open(call, request, officerCheck, nowMs, context);
  context.keeper.own(call);
  await routeAndCreate(call, request, rooms, nowMs + context.callTtlMs, context);
  if (call.state === 'created') context.created(call);
  return call;
}

async function open(call: VerificationCall, request: ParsedStart, officerCheck: OfficerCheck, nowMs: number, context: StartContext): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const verification: Verification = {
      id: call.id,
      reference: newVerificationReference(),
      referenceExpiresAt: formatInstant(nowMs + context.referenceTtlMs),
      officer: request.officer,
      reason: request.reason,
      ...(request.location ? { location: request.location } : {}),
      flow: request.flow,
      createdAt: formatInstant(nowMs),
      officerCheck,
    };
    try {
      await call.opened(createdEntry(verification, request), {
        reference: verification.reference,
        referenceExpiresAtMs: nowMs + context.referenceTtlMs,
        state: 'requested',
        expiresAtMs: nowMs + context.callTtlMs,
        owner: context.serverId,
      });
      return;
    } catch (error) {
      // The store keeps references unique across servers: a clash means drawing another.
      if (!BridgeError.hasCode(error, 'REFERENCE_TAKEN') || attempt >= REFERENCE_ATTEMPTS) throw error;
    }
  }
}

function selectRooms(rooms: readonly OpsRoom[], roomIds: string[] | undefined): OpsRoom[] {
  if (roomIds === undefined) return [...rooms];
  return roomIds.map((id) => {
    const room = rooms.find((r) => r.id === id);
    if (!room) throw invalidInput(`unknown ops room ${id}`, { field: 'roomIds' });
    return room;
  });
}
