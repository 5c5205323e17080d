import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BridgeError, BridgeLogger, BridgeLogRecord, WebhookRejection } from '../../src/index.js';
import { openSandbox, type Sandbox } from '../support/sandbox.js';

let box: Sandbox | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

/** A logger that keeps what it is told. */
function recordingLogger(): BridgeLogger & { warned: BridgeLogRecord[]; errored: BridgeLogRecord[] } {
  const warned: BridgeLogRecord[] = [];
  const errored: BridgeLogRecord[] = [];
  return { warned, errored, warn: (record) => warned.push(record), error: (record) => errored.push(record) };
}

describe("the bridge's logger", () => {
  it.each(['signature', 'stale', 'unsigned'] as const)('gets a %s refusal as warn, the same as webhook-rejected says, with no secret', async (tamper) => {
    const logger = recordingLogger();
    box = await openSandbox({ logger });
    const rejections: WebhookRejection[] = [];
    box.bridge.on('webhook-rejected', (report) => rejections.push(report));
    const call = await box.start();
    // Daily's first join is two deliveries: meeting.started and participant.joined.
    const deliveries = await box.fake.play('ops-joined', call.providerCallId!, { tamper });
    expect(deliveries.map((d) => d.status)).toEqual([401, 401]);
    expect(rejections).toEqual(deliveries.map(() => ({ provider: 'daily', code: 'WEBHOOK_INVALID', reason: tamper, message: expect.stringMatching(/^daily webhook: /) })));
    expect(logger.warned).toEqual(rejections.map((r) => ({ msg: r.message, event: 'webhook-rejected', code: r.code, provider: 'daily', reason: tamper })));
    expect(JSON.stringify(logger.warned)).not.toContain(box.fake.webhookSecret);
    expect(logger.errored).toEqual([]);
  });

  it('gets a replayed delivery as warn with reason replayed and code DUPLICATE_EVENT', async () => {
    const logger = recordingLogger();
    box = await openSandbox({ logger });
    const call = await box.start();
    const [first] = await box.fake.play('ops-joined', call.providerCallId!);
    expect((await box.fake.replay(first!)).status).toBe(200);
    expect(logger.warned).toEqual([
      { msg: 'daily webhook: 1 event(s) already logged, not applied again', event: 'webhook-rejected', code: 'DUPLICATE_EVENT', provider: 'daily', reason: 'replayed' },
    ]);
  });

  it('gets a background failure as error, as background-error reports it', async () => {
    const logger = recordingLogger();
    box = await openSandbox({ logger });
    const failures: BridgeError[] = [];
    box.bridge.on('background-error', (error) => failures.push(error));
    // A listener that throws is background work gone wrong.
    box.bridge.on('webhook-rejected', () => {
      throw new Error('a listener broke');
    });
    const call = await box.start();
    await box.fake.play('ops-joined', call.providerCallId!, { tamper: 'unsigned' });
    expect(failures).toHaveLength(2);
    expect(logger.errored).toEqual(failures.map((f) => ({ msg: f.message, event: 'background-error', code: f.code })));
  });

  it('breaks nothing when it throws: the delivery is still refused, listeners still hear, and no failure loops back', async () => {
    const warn = vi.fn(() => {
      throw new Error('the log sink is down');
    });
    const error = vi.fn(() => {
      throw new Error('the log sink is down');
    });
    box = await openSandbox({ logger: { warn, error } });
    const rejections: WebhookRejection[] = [];
    const failures: BridgeError[] = [];
    box.bridge.on('webhook-rejected', (report) => rejections.push(report));
    box.bridge.on('background-error', (failure) => failures.push(failure));
    const call = await box.start();
    const deliveries = await box.fake.play('ops-joined', call.providerCallId!, { tamper: 'signature' });
    expect(deliveries.map((d) => d.status)).toEqual([401, 401]);
    expect(rejections.map((r) => r.reason)).toEqual(['signature', 'signature']);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(failures).toEqual([]);
    expect(error).not.toHaveBeenCalled();
    // And the call goes on.
    expect(await box.play(call, 'ops-joined')).toEqual([200]);
  });
});
