import { BridgeError } from '../errors.js';
import type { LogWriter } from './access.js';
import { signCheckpoint, type Checkpoint } from './checkpoint.js';
import { CHECKPOINT_ENTRY_TYPE, compareWithCheckpoint, latestCheckpoint, type LoggedCheckpoint } from './checkpoint-log.js';
import { toHex } from './merkle.js';
import { headProver } from './prover.js';
import type { CheckpointSigningKey } from './signing-key.js';
import type { BridgeStore } from './store.js';

/** How to sign a log's checkpoints. */
export interface CheckpointSignerOptions {
  /** The log's signing key (`loadSigningKey`, `parseSigningKey`). */
  key: CheckpointSigningKey;
  /** The checkpoint origin line. @default the key's name, as C2SP tlog-checkpoint recommends */
  origin?: string;
}

/** Signs checkpoints of one log, never one that contradicts a checkpoint it or the log signed before. */
export interface CheckpointSigner {
  /** The origin line of every checkpoint it signs. */
  readonly origin: string;
  /** The verifier key to publish, so others can check its checkpoints. */
  readonly verifierKey: string;
  /**
   * Signs the store's current tree and logs the signed note as a `checkpoint.signed` entry through
   * `write`. Throws AUDIT_TAMPERED (`details.reason` `truncated` or `inconsistent`) and signs nothing
   * if the tree does not extend the last checkpoint in the log or the last one this signer signed.
   */
  sign(store: BridgeStore, write: LogWriter): Promise<LoggedCheckpoint>;
}

/** Creates a checkpoint signer; signings through one signer run one at a time. */
export function createCheckpointSigner(options: CheckpointSignerOptions): CheckpointSigner {
  const { key } = options;
  const origin = options.origin ?? key.name;
  if (typeof origin !== 'string' || origin.length === 0 || /[\u0000-\u001f]/.test(origin)) {
    throw new BridgeError('INVALID_CONFIG', 'a checkpoint origin must be one non-empty line with no control characters');
  }
  // Remembered so a log truncated below it, checkpoint entries and all, is still caught in this process.
  let lastSigned: Checkpoint | undefined;
  let lastSeenEntry = 0;
  let queue: Promise<unknown> = Promise.resolve();

  async function signNow(store: BridgeStore, write: LogWriter): Promise<LoggedCheckpoint> {
    // The checkpoint first, then the head: another server may sign meanwhile, and the head read after
    // its checkpoint entry committed covers it, so a concurrent signer is never taken for a truncation.
    const logged = await latestCheckpoint(store, lastSeenEntry);
    const prover = await headProver(store);
    if (logged) lastSeenEntry = logged.entryIndex;
    for (const earlier of [logged, lastSigned]) {
      if (earlier === undefined) continue;
      const comparison = await compareWithCheckpoint(prover, earlier);
      if (!comparison.ok) {
        throw new BridgeError('AUDIT_TAMPERED', `refusing to sign a checkpoint: ${comparison.detail}`, {
          details: { reason: comparison.reason, checkpointSize: earlier.size, logSize: prover.size },
        });
      }
    }
    const checkpoint: Checkpoint = { origin, size: prover.size, root: await prover.root() };
    const note = signCheckpoint(checkpoint, key);
    const entry = await write({
      type: CHECKPOINT_ENTRY_TYPE,
      source: 'sdk',
      data: { origin, size: checkpoint.size, root: toHex(checkpoint.root), verifierKey: key.verifierKey, note },
    });
    lastSigned = checkpoint;
    lastSeenEntry = entry.index;
    return { ...checkpoint, note, verifierKey: key.verifierKey, entryIndex: entry.index, at: entry.at };
  }

  return {
    origin,
    verifierKey: key.verifierKey,
    sign(store, write) {
      const result = queue.then(() => signNow(store, write));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
