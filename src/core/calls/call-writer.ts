import type { AuditEntry, AuditEntryInput } from '../audit/entry.js';
import type { AppendOptions } from '../audit/store.js';
import { assertTransition, isTerminal, type CallState } from '../call-state.js';
import { BridgeError } from '../errors.js';
import type { CallFields } from './call-record.js';
import type { CallRuntime } from './call-runtime.js';
import { CallView } from './call-view.js';

/** An entry for one call, before the writer names the verification. @internal */
export type LogRequest = Omit<AuditEntryInput, 'verificationId'>;

// Another server wrote first (CALL_CHANGED) or took the device over (LEASE_LOST): read the call again and retry.
const CONFLICT_RETRIES = 5;

/**
 * One call's writes, one at a time: each is checked in the store against the call's row version and
 * fenced with its device lease, and an operation that lost to another server reads the call again and
 * runs again, so every server's handle on the call agrees with the store. @internal
 */
export class CallWriter {
  /** The call as its entries say. */
  readonly view = new CallView();
  /** The server carrying the call, as of the last write or read. */
  owner: string | undefined;
  /** When the call must be over, in epoch milliseconds. */
  expiresAtMs: number | undefined;
  private version: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly id: string,
    private readonly runtime: CallRuntime,
    private readonly seen: (entry: AuditEntry, transition: { from: CallState; to: CallState } | undefined) => void,
  ) {}

  /** Runs an operation after the ones before it; one that lost a race (or was refused on a stale state) runs again once the call is read. */
  serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await operation();
        } catch (error) {
          const conflict = BridgeError.hasCode(error, 'CALL_CHANGED') || BridgeError.hasCode(error, 'LEASE_LOST');
          // A request refused for the call's state is asked again only if the store knows a newer state.
          const refused = BridgeError.hasCode(error, 'ILLEGAL_TRANSITION');
          if (!(conflict || refused) || attempt >= CONFLICT_RETRIES || this.version === null) throw error;
          const lastSeen = this.view.lastIndex;
          await this.sync();
          if (refused && this.view.lastIndex === lastSeen) throw error;
        }
      }
    };
    const result = this.queue.then(run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Reads the call's row and the entries it has not seen; call inside `serial`. */
  async sync(): Promise<void> {
    const { record, entries } = await this.runtime.readCall(this.id, this.view.lastIndex + 1);
    if (record === null) throw new BridgeError('NOT_FOUND', `no call is stored for verification ${this.id}`);
    for (const entry of entries) this.take(entry);
    this.version = record.version;
    this.owner = record.owner;
    this.expiresAtMs = record.expiresAtMs;
  }

  /** Logs an entry for the opened call, moving it to `to`, with row fields to set; fenced with its lease unless told otherwise. */
  log(request: LogRequest, to?: CallState, set: Partial<CallFields> = {}, fence = this.fence()): Promise<AuditEntry> {
    if (this.version === null) throw new BridgeError('NOT_FOUND', `verification ${this.id} has no call row`);
    return this.write(request, to, { expectedVersion: this.version, set: to === undefined ? set : { ...set, state: to } }, fence);
  }

  /** Appends an entry with its row change; the store frees the device in the same step as a final state. */
  async write(request: LogRequest, to: CallState | undefined, call: NonNullable<AppendOptions['call']>, fence?: AppendOptions['fence']): Promise<AuditEntry> {
    const from = this.view.state;
    if (to !== undefined) assertTransition(from, to, this.id);
    const data = to === undefined ? request.data : { ...request.data, transition: { from, to } };
    const entry = await this.runtime.append({ ...request, verificationId: this.id, data }, { call, ...(fence ? { fence } : {}) });
    this.version = entry.index;
    if (call.set.owner !== undefined) this.owner = call.set.owner;
    if (call.set.expiresAtMs !== undefined) this.expiresAtMs = call.set.expiresAtMs;
    this.take(entry);
    if (to !== undefined && isTerminal(to)) await this.runtime.terminated({ id: this.id, ...this.route() });
    return entry;
  }

  private route(): { deviceId?: string; provider?: string; providerCallId?: string } {
    const decision = this.view.decision;
    if (decision?.kind !== 'call') return {};
    const { deviceId, provider } = decision.chosen;
    return { deviceId, provider, ...(this.view.providerCallId === undefined ? {} : { providerCallId: this.view.providerCallId }) };
  }

  private fence(): AppendOptions['fence'] {
    const deviceId = this.route().deviceId;
    const epoch = this.view.epoch;
    return deviceId !== undefined && epoch !== undefined && !isTerminal(this.view.state) ? { deviceId, epoch } : undefined;
  }

  private take(entry: AuditEntry): void {
    this.seen(entry, this.view.apply(entry));
  }
}
