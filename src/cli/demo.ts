import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BridgeError,
  createBridge,
  createCheckpointSigner,
  generateSigningKey,
  inMemoryOfficerDirectory,
  parseSigningKey,
  toHex,
  type Bridge,
  type BridgeStore,
  type CallState,
  type LoggedCheckpoint,
  type VerificationCall,
} from '../index.js';
import sqliteStore from '../stores/sqlite.js';
import type { LifecycleStep, ProviderFake } from '../testing/provider-fake.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { parseCommandArgs } from './args.js';
import type { CommandResult } from './audit.js';
import type { DemoProvider } from './demo/provider.js';
import { DEMO_PROVIDERS } from './demo/providers.js';
import { formatEntry } from './format.js';

const USAGE = `vcb demo [--provider ${Object.keys(DEMO_PROVIDERS).join('|')}] [--db FILE] [--json]`;

/** Help for `vcb demo`. */
export const DEMO_HELP = `Usage: ${USAGE}

Runs one SANDBOX verification end to end with no configuration and no network: a local fake of
the provider's API, a bridge with one ops room, and an SQLite evidence log (a new temporary file
unless --db is given). The call goes requested → routed → created → ringing → connected → ended,
the supervisor records an outcome, the verification is sealed and a checkpoint signed with a
throwaway SANDBOX key, and the log is verified. Nothing here is real evidence.

  --provider P  the provider to simulate (default daily)
  --db FILE     write the evidence log to FILE (then try: vcb audit verify --db FILE)
  --json        print the result as JSON`;

const SANDBOX_ROSTER = inMemoryOfficerDirectory([
  { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'Sam Sandbox', photoRef: 'sandbox://photos/4721AB', onDuty: true },
]);

const SANDBOX_ROOM = { id: 'sandbox-room', name: 'SANDBOX Ops Room', publishedPhoneNumber: '+442072221234' };

/** Runs `vcb demo`. */
export async function runDemo(args: string[]): Promise<CommandResult> {
  const values = parseCommandArgs(args, { provider: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return { output: DEMO_HELP, exitCode: 0 };
  const name = values.provider ?? 'daily';
  const load = Object.hasOwn(DEMO_PROVIDERS, name) ? DEMO_PROVIDERS[name] : undefined;
  if (!load) throw new BridgeError('INVALID_INPUT', `the demo cannot simulate provider "${name}" (try one of ${Object.keys(DEMO_PROVIDERS).join(', ')})`);
  const demo = await load();
  const dbPath = values.db ?? join(mkdtempSync(join(tmpdir(), 'vcb-demo-')), 'evidence.db');
  const resources: (() => Promise<void>)[] = [];
  try {
    const { adapter, fake } = await demo.open();
    resources.push(() => fake.close());
    const store = sqliteStore({ filename: dbPath });
    resources.push(() => store.close());
    // A key made for this run only: its checkpoints show the mechanism, and nobody can sign with it again.
    const signer = createCheckpointSigner({ key: parseSigningKey(generateSigningKey('sandbox.vcb.invalid/demo').signingKey) });
    const bridge = createBridge({
      checkpoints: { signer },
      store,
      adapters: [adapter],
      rooms: [{ ...SANDBOX_ROOM, device: { id: 'sandbox-ops-device', handles: { [demo.provider]: demo.deviceHandle } } }],
      personalDataKey: randomBytes(32),
      officerDirectory: SANDBOX_ROSTER,
      sandbox: true,
    });
    resources.push(() => bridge.close());
    // Its start-up work first (a checkpoint is due at once on a log with entries and none signed), so a
    // run logs the same entries in the same order however fast the store's writes come back.
    await bridge.idle();
    const receiver = await startWebhookReceiver(bridge);
    resources.push(() => receiver.close());
    fake.deliverWebhooksTo(receiver.urlFor(demo.provider));
    return await runScenario({ bridge, store, fake, demo, operatorLifecycle: adapter.capabilities.lifecycle === 'operator', dbPath, json: values.json === true });
  } finally {
    while (resources.length > 0) await resources.pop()!();
  }
}

interface Scenario {
  bridge: Bridge;
  store: BridgeStore;
  fake: ProviderFake;
  demo: DemoProvider;
  /** The provider reports nothing live, so the supervisor attests what the device shows. */
  operatorLifecycle: boolean;
  dbPath: string;
  json: boolean;
}

async function runScenario(context: Scenario) {
  const { bridge, fake, demo } = context;
  const checkpoints: LoggedCheckpoint[] = [];
  bridge.on('checkpoint', (checkpoint) => checkpoints.push(checkpoint));
  const call = await bridge.startVerification({
    officer: { collarNumber: '4721AB', warrantCardNumber: 'WC-100200', name: 'PC Sam Sandbox', force: 'SANDBOX Constabulary' },
    reason: 'SANDBOX: checking on a report of a person in distress nearby',
    location: { description: 'SANDBOX: bus stop outside 12 High Street' },
    flow: 'citizen-device',
    citizen: demo.citizen,
  });
  if (call.state !== 'created') throw new Error(`the sandbox call did not start: ${call.failure?.message ?? call.state}`);
  const links = [
    `Citizen's phone opens  ${withoutToken(call.join!.otherSide.url)}`,
    `Ops device opens       ${withoutToken(call.join!.opsDevice.url)}`,
  ];
  const supervisor = { collarNumber: 'SGT1234', name: 'Sgt Alex Sandbox' };
  await play(fake, call, ['ops-joined', 'other-joined']);
  if (context.operatorLifecycle) {
    await call.attest({ fact: 'answered', supervisor });
    await call.attest({ fact: 'connected', supervisor });
  }
  await call.attest({ fact: 'officer-identity-confirmed', supervisor, note: 'SANDBOX: warrant card matched the duty roster on camera' });
  await call.recordOutcome({ supervisor, outcome: 'verified', note: 'SANDBOX: warrant card and duty roster checked on camera' });
  await play(fake, call, ['other-left', 'ops-left']);
  if (context.operatorLifecycle) await call.attest({ fact: 'ended', supervisor });
  await play(fake, call, ['call-ended']);
  await bridge.idle();
  const verification = await bridge.verifyLog({ actor: 'cli:vcb-demo' });
  const timeline = call.timeline();
  const finalState = call.state as CallState;
  const exitCode = verification.ok && finalState === 'ended' ? 0 : 1;
  if (context.json) {
    const output = JSON.stringify({
      sandbox: true,
      provider: demo.provider,
      db: context.dbPath,
      verificationId: call.verification.id,
      reference: call.verification.reference,
      state: finalState,
      timeline,
      checkpoint: checkpointSummary(checkpoints.at(-1)),
      verify: verification,
    });
    return { output, exitCode };
  }
  const lines = [
    `SANDBOX — verification-call-bridge demo: simulated ${demo.provider}, no network, not real evidence.`,
    '',
    `Verification ${call.verification.id}, reference ${call.verification.reference}`,
    `Officer ${call.verification.officer.name} (${call.verification.officer.collarNumber}), duty roster: ${call.verification.officerCheck.status}`,
    `Ops room ${SANDBOX_ROOM.name} on ${call.provider}`,
    ...links,
    '',
    'Timeline (index, at, source, event, detail):',
    ...timeline.map((entry) => `  ${formatEntry(entry)}`),
    '',
    `Checkpoint signed with a throwaway SANDBOX key: ${checkpoints.at(-1)?.size ?? 'none'} entries, key ${checkpoints.at(-1)?.verifierKey ?? '-'}`,
    verification.ok
      ? `Evidence log verified: ${verification.entries} entries, root ${verification.root}`
      : `Evidence log FAILED verification at entry ${verification.firstBadIndex}: ${verification.detail}`,
    `Log file: ${context.dbPath}`,
    `Check it yourself: vcb audit verify --db ${context.dbPath}`,
    `Export its evidence: vcb audit export --db ${context.dbPath} --verification ${call.verification.id} --out bundle.json`,
  ];
  return { output: lines.join('\n'), exitCode };
}

function checkpointSummary(checkpoint: LoggedCheckpoint | undefined) {
  return checkpoint && { origin: checkpoint.origin, size: checkpoint.size, root: toHex(checkpoint.root), verifierKey: checkpoint.verifierKey };
}

function withoutToken(url: string): string {
  return url.split(/[?#]/)[0]!;
}

async function play(fake: ProviderFake, call: VerificationCall, steps: LifecycleStep[]): Promise<void> {
  for (const step of steps) {
    for (const delivery of await fake.play(step, call.providerCallId!)) {
      if (delivery.status !== 200) throw new Error(`the sandbox webhook for ${step} was refused: ${delivery.responseBody}`);
    }
    // Polling providers' fakes only change their API's record; ask now rather than wait for the next poll.
    await call.refresh();
  }
}
