import type { AuditEntry } from '../../src/index.js';
import type { BuiltCase } from './build.js';
import type { ProviderKit } from './kits.js';
import { effectiveHeaders } from './requests.js';
import type { FuzzAnswer, FuzzTransport } from './transports.js';

/** The ways a case can fail, as the summary counts them. */
export type Violation =
  /** The handler threw or rejected, or never answered within the case's time. */
  | 'crash'
  /** An invalid request (unsigned, forged, mutated authenticator, not this provider's path) got anything but 4xx. */
  | 'non-4xx-on-invalid'
  /** An invalid request added entries to the log. */
  | 'invalid-logged'
  /** A genuine delivery got 5xx, was refused as unauthentic, or (left as it was) was not taken. */
  | 'valid-mishandled'
  /** A delivery logged entries that are not about this provider's call. */
  | 'foreign-entries';

/** A failed case: which rule, and what happened. */
export interface Finding {
  violation: Violation;
  detail: string;
}

/** What the oracle took a case to be: not this provider's path, an unauthenticated handshake, invalid, authentic, or genuine and untouched. */
export type Judged = 'unrouted' | 'handshake' | 'invalid' | 'authentic' | 'pristine';

/** The oracle's view of one case and what came of it. */
export interface Judgement {
  judged: Judged;
  status: number;
  finding?: Finding;
}

/** How long one case may take before it counts as a hang; generous, so a loaded machine does not trip it. */
export const CASE_TIMEOUT_MS = 10_000;

/**
 * Sends one case and judges the answer and the log. The expectation is computed from the request
 * alone: where the handler must route it, whether its authenticator (see signing.ts) still covers what
 * it carries, and the two unauthenticated handshakes providers send (Daily's ping, Graph's validation).
 */
export async function judge(kit: ProviderKit, transport: FuzzTransport, built: BuiltCase): Promise<Judgement> {
  const before = (await kit.store.head()).size;
  let answer: FuzzAnswer;
  try {
    answer = await within(transport.send(built.request));
    // Background work a delivery starts (cleanup after a call ends) is the delivery's too.
    await within(kit.bridge.idle());
  } catch (error) {
    return { judged: 'invalid', status: 0, finding: { violation: 'crash', detail: String(error) } };
  }
  const added = await kit.store.readEntries({ fromIndex: before });
  const { status } = answer;
  const [judged, finding] = expectation(kit, transport, built, answer, added);
  return { judged, status, ...(finding ? { finding } : {}) };
}

function expectation(kit: ProviderKit, transport: FuzzTransport, built: BuiltCase, answer: FuzzAnswer, added: AuditEntry[]): [Judged, Finding | undefined] {
  const { status } = answer;
  const is4xx = status >= 400 && status <= 499;
  const said = `answered ${status} ${answer.body.slice(0, 200)}; logged ${added.length}`;
  const invalid = (): Finding | undefined => {
    if (!is4xx) return { violation: 'non-4xx-on-invalid', detail: said };
    return added.length > 0 ? { violation: 'invalid-logged', detail: `${said}: ${types(added)}` } : undefined;
  };
  const target = transport.target(built.request.path);
  if (!routesTo(kit, target)) return ['unrouted', invalid()];
  const validationToken = kit.provider === 'teams' ? new URL(target, 'http://webhook.invalid').searchParams.get('validationToken') : null;
  if (validationToken !== null) {
    // Graph's subscription validation: echoed unauthenticated, by design, and never logged.
    if (validationToken === '') return ['invalid', invalid()];
    const echoed = status === 200 && answer.body === validationToken && added.length === 0;
    return ['handshake', echoed ? undefined : { violation: 'non-4xx-on-invalid', detail: `validation ${said}` }];
  }
  if (!kit.signer.authentic(built.request, built.signedAtMs)) {
    if (kit.provider === 'daily' && isDailyPing(built)) {
      return ['handshake', status === 200 && added.length === 0 ? undefined : { violation: 'non-4xx-on-invalid', detail: `ping ${said}` }];
    }
    return ['invalid', invalid()];
  }
  const judged = built.pristine ? 'pristine' : 'authentic';
  // Agora's freshness is notifyMs inside the signed body, so a signed body may rightly be refused as stale (401).
  if (status >= 500 || (status === 401 && kit.provider !== 'agora') || (built.pristine && (status < 200 || status > 299))) {
    return [judged, { violation: 'valid-mishandled', detail: said }];
  }
  if (is4xx && added.length > 0) return [judged, { violation: 'invalid-logged', detail: `refused but ${said}: ${types(added)}` }];
  const foreign = added.filter((entry) => entry.provider !== kit.provider || (entry.verificationId !== undefined && entry.verificationId !== kit.verificationId));
  return [judged, foreign.length > 0 ? { violation: 'foreign-entries', detail: `${said}: ${types(foreign)}` } : undefined];
}

/** Whether the handler must hand this request target to the kit's adapter (`/webhooks/<name>`, percent-decoded). */
function routesTo(kit: ProviderKit, target: string): boolean {
  const path = target.split('?')[0]!;
  if (!path.startsWith('/webhooks/')) return false;
  try {
    return kit.names.includes(decodeURIComponent(path.slice('/webhooks/'.length)));
  } catch {
    return false;
  }
}

// Daily pings a new webhook URL once, unsigned, with a body like {"test": "test"}; it is answered and changes nothing.
function isDailyPing(built: BuiltCase): boolean {
  const headers = effectiveHeaders(built.request.headers);
  if (headers['x-webhook-signature'] !== undefined && headers['x-webhook-timestamp'] !== undefined) return false;
  try {
    const body = JSON.parse(Buffer.from(built.request.body).toString('utf8')) as unknown;
    return typeof body === 'object' && body !== null && !Array.isArray(body) && 'test' in body && !('type' in body);
  } catch {
    return false;
  }
}

function types(entries: AuditEntry[]): string {
  return entries.map((entry) => `${entry.type}(${entry.provider ?? '-'}/${entry.verificationId ?? '-'})`).join(', ');
}

// Races a timer rather than timing the work: a case that never settles fails instead of stalling the run.
function within<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
