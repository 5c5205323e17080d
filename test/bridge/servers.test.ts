import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  exportEvidenceBundle,
  generateSigningKey,
  isTerminal,
  serializeBundle,
  verifyAgainstLoggedCheckpoints,
  verifyEvidenceBundle,
  type AuditEntry,
  type BridgeStore,
  type CallState,
} from '../../src/index.js';
import postgresStore from '../../src/stores/postgres.js';
import sqliteStore from '../../src/stores/sqlite.js';
import { startDailyFake, type DailyFake } from '../../src/testing/index.js';
import { dropSchema, POSTGRES_URL, SKIP_NOTE, uniqueSchema } from '../stores/postgres-fixture.js';
import { room } from '../support/sandbox.js';

const root = new URL('../..', import.meta.url).pathname;
const DIST = `${root}dist`;
const CHILD = new URL('./server-child.mjs', import.meta.url).pathname;
// 1,000 in the suite; VCB_SERVERS_VERIFICATIONS raises or lowers it for a longer or quicker run.
const VERIFICATIONS = Number(process.env.VCB_SERVERS_VERIFICATIONS ?? 1_000);
const ROOMS = [room('room-a'), room('room-b'), room('room-c')];

type StoreConfig = { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string; schema: string };

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** One app server in a child process, driven by JSON lines. */
class ChildServer {
  readonly process: ChildProcess;
  webhookUrl = '';
  alive = true;
  private next = 0;
  private readonly waiting = new Map<number, (answer: Record<string, unknown>) => void>();
  readonly ready: Promise<void>;

  constructor(config: Record<string, unknown>) {
    this.process = spawn(process.execPath, [CHILD, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.process.on('exit', () => {
      this.alive = false;
    });
    let readied: () => void;
    this.ready = new Promise((resolve) => (readied = resolve));
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as Record<string, unknown>;
      if (message.ready) {
        this.webhookUrl = String(message.webhookUrl);
        readied();
      } else this.waiting.get(Number(message.id))?.(message);
    });
  }

  async ask(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.next++;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.process.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    return answer;
  }

  kill(): void {
    this.process.kill('SIGKILL');
  }
}

/** A Daily fake whose webhooks each go to a random live server, through a forwarding listener. */
async function deliverToRandomServers(fake: DailyFake, servers: ChildServer[]): Promise<Server> {
  const proxy = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const live = servers.filter((s) => s.alive);
      const target = live[randomInt(live.length)]!;
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('x-') || name === 'content-type')) as Record<string, string>;
      const answer = await fetch(target.webhookUrl, { method: 'POST', headers, body: Buffer.concat(chunks) });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  fake.deliverWebhooksTo(`http://127.0.0.1:${(proxy.address() as { port: number }).port}/webhooks/daily`);
  return proxy;
}

async function openStores(kind: 'sqlite' | 'postgres'): Promise<{ config: StoreConfig; open: () => BridgeStore }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'vcb-servers-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const filename = join(dir, 'evidence.db');
    return { config: { kind, filename }, open: () => sqliteStore({ filename }) };
  }
  const schema = uniqueSchema('servers');
  cleanups.push(() => dropSchema(schema));
  return { config: { kind, url: POSTGRES_URL!, schema }, open: () => postgresStore({ connectionString: POSTGRES_URL!, schema }) };
}

async function startServers(count: number, store: StoreConfig, extra: Record<string, unknown> = {}) {
  const fake = await startDailyFake();
  const key = generateSigningKey('vcb-test.invalid/servers');
  const shared = {
    dist: DIST,
    store,
    daily: { apiKey: fake.apiKey, webhookSecret: fake.webhookSecret, baseUrl: fake.baseUrl },
    rooms: ROOMS,
    personalDataKey: randomBytes(32).toString('base64'),
    signingKey: key.signingKey,
    // Long enough that a heartbeat delayed by a loaded machine (the crash test runs beside this) never
    // lets a live server's lease lapse; the kill test sets its own short one.
    adoptAfterMs: 10_000,
    ...extra,
  };
  const servers = Array.from({ length: count }, (_, i) => new ChildServer({ ...shared, serverId: `server-${i}` }));
  await Promise.all(servers.map((s) => s.ready));
  const proxy = await deliverToRandomServers(fake, servers);
  cleanups.push(() => fake.close(), () => new Promise((resolve) => proxy.close(resolve)), () => servers.forEach((s) => s.alive && s.kill()));
  return { fake, servers, verifierKey: key.verifierKey, pick: () => servers.filter((s) => s.alive)[randomInt(servers.filter((s) => s.alive).length)]! };
}

function answer(reply: Record<string, unknown>): Record<string, unknown> {
  if (!reply.ok) throw new Error(`${String(reply.code)}: ${String(reply.message)}`);
  return reply;
}

/** Each verification's device and the index span it held it for, from the log alone. */
function deviceHolds(entries: AuditEntry[]): { deviceId: string; from: number; to: number }[] {
  const open = new Map<string, { deviceId: string; from: number }>();
  const holds: { deviceId: string; from: number; to: number }[] = [];
  for (const entry of entries) {
    const chosen = entry.type === 'route.decided' ? (entry.data.chosen as { deviceId?: string } | undefined) : undefined;
    if (chosen?.deviceId && !open.has(entry.verificationId!)) open.set(entry.verificationId!, { deviceId: chosen.deviceId, from: entry.index });
    const to = (entry.data.transition as { to?: CallState } | undefined)?.to;
    const held = open.get(entry.verificationId ?? '');
    if (held && to && isTerminal(to)) {
      holds.push({ ...held, to: entry.index });
      open.delete(entry.verificationId!);
    }
  }
  return holds;
}

function overlaps(holds: { deviceId: string; from: number; to: number }[]): number {
  let count = 0;
  for (const a of holds) for (const b of holds) if (a !== b && a.deviceId === b.deviceId && a.from < b.from && b.from < a.to) count += 1;
  return count;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function storeKinds(): Array<'sqlite' | 'postgres'> {
  if (POSTGRES_URL === undefined) console.warn(`multi-server PostgreSQL tests ${SKIP_NOTE}`);
  return POSTGRES_URL === undefined ? ['sqlite'] : ['sqlite', 'postgres'];
}

describe.each(storeKinds())('four app servers on one %s store', (kind) => {
  it(`carries ${VERIFICATIONS} verifications on 3 devices with webhooks to random servers: none unmatched, no double booking, all sealed`, async () => {
    const stores = await openStores(kind);
    const { fake, servers, pick } = await startServers(4, stores.config);
    let busy = 0;
    let done = 0;
    // Three lanes for three devices: each runs one verification at a time, every step on a random server.
    const lane = async () => {
      while (done < VERIFICATIONS) {
        done += 1;
        const started = answer(await pick().ask('start'));
        if (started.state !== 'created') {
          busy += 1;
          continue;
        }
        const id = String(started.verificationId);
        await fake.play('ops-joined', String(started.providerCallId));
        await fake.play('other-joined', String(started.providerCallId));
        answer(await pick().ask('outcome', { verificationId: id }));
        if (randomInt(2) === 0) answer(await pick().ask('end', { verificationId: id }));
        else await fake.play('call-ended', String(started.providerCallId));
        await until(async () => answer(await pick().ask('state', { verificationId: id })).state === 'ended', 10_000);
      }
    };
    await Promise.all([lane(), lane(), lane()]);
    const errors = (await Promise.all(servers.map(async (s) => answer(await s.ask('close')).errors as string[]))).flat();
    expect(errors).toEqual([]);
    const store = stores.open();
    cleanups.push(() => store.close());
    const entries = await store.readEntries();
    const created = entries.filter((e) => e.type === 'verification.created');
    expect(created).toHaveLength(VERIFICATIONS);
    expect(busy).toBe(0);
    expect(entries.filter((e) => e.type === 'provider.unmatched-event')).toEqual([]);
    expect(overlaps(deviceHolds(entries))).toBe(0);
    expect(await store.listLiveCalls()).toEqual([]);
    const sealed = new Set(entries.filter((e) => e.type === 'verification.sealed').map((e) => e.verificationId));
    expect(created.filter((e) => !sealed.has(e.verificationId))).toEqual([]);
    // Four servers signed checkpoints at once: the log still agrees with every one of them.
    expect(await verifyAgainstLoggedCheckpoints(store)).toMatchObject({ ok: true });
  }, 600_000);

  it('adopts the calls of a server killed with SIGKILL: matched late webhooks, outcome and end elsewhere, an exportable bundle, a free device', async () => {
    const stores = await openStores(kind);
    const { fake, servers, verifierKey } = await startServers(3, stores.config, { adoptAfterMs: 600 });
    const [victim, b, c] = servers as [ChildServer, ChildServer, ChildServer];
    const started = answer(await victim.ask('start'));
    const id = String(started.verificationId);
    const providerCallId = String(started.providerCallId);
    victim.kill();
    const killedAt = Date.now();
    await until(async () => String(answer(await b.ask('state', { verificationId: id })).owner) !== 'server-0', 5_000);
    const adoptedWithinMs = Date.now() - killedAt;
    expect(adoptedWithinMs).toBeLessThan(5_000);
    await fake.play('ops-joined', providerCallId);
    await fake.play('other-joined', providerCallId);
    expect(answer(await b.ask('state', { verificationId: id })).state).toBe('connected');
    answer(await b.ask('outcome', { verificationId: id }));
    answer(await c.ask('end', { verificationId: id }));
    await fake.play('call-ended', providerCallId); // late: after the end
    await b.ask('idle');
    await c.ask('idle');
    const next = answer(await b.ask('start'));
    expect(next.state).toBe('created');
    expect(next.deviceId).toBe(started.deviceId);
    answer(await c.ask('end', { verificationId: String(next.verificationId) }));
    for (const server of [b, c]) answer(await server.ask('close'));
    const store = stores.open();
    cleanups.push(() => store.close());
    const mine = await store.readEntries({ verificationId: id });
    expect(mine.map((e) => e.type)).toContain('call.adopted');
    expect(mine.filter((e) => e.type === 'call.ended' && e.source === 'provider')).toEqual([expect.objectContaining({ data: expect.objectContaining({ late: true }) })]);
    expect(await store.readEntries({ type: 'provider.unmatched-event' })).toEqual([]);
    const bundle = await exportEvidenceBundle(store, (input) => store.append(input, Date.now()), { verificationId: id, actor: 'test:exporter', recipient: 'the court' });
    expect(verifyEvidenceBundle(serializeBundle(bundle), { verifierKey })).toMatchObject({ ok: true, verificationId: id });
    expect((await store.verify()).ok).toBe(true);
  }, 120_000);
});
