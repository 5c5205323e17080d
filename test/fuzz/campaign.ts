import fc from 'fast-check';
import { fuzzCase } from './arbitraries.js';
import { buildCase } from './build.js';
import type { ProviderKit } from './kits.js';
import { judge, type Judged, type Violation } from './oracle.js';
import type { FuzzTransport } from './transports.js';

/** What one run over one provider and transport came to, as the summary table shows it. */
export interface Tally {
  provider: string;
  transport: string;
  seed: number;
  cases: number;
  violations: Record<Violation, number>;
  /** How many cases the oracle took for each kind, with the statuses they got: shows the run reached every branch. */
  outcomes: Record<string, number>;
  ms: number;
  /** fast-check's report of the first failing case, shrunk, with its seed and path; absent when all passed. */
  failure?: string;
}

/**
 * Runs `numRuns` generated cases through one transport. It stops at the first failing case, which
 * fast-check then shrinks and reports with the seed that replays it; the tally counts cases up to that
 * one (shrinking runs the same property, uncounted). An error that escapes the handler as an unhandled rejection or exception
 * counts as a crash.
 */
export async function runCampaign(kit: ProviderKit, transport: FuzzTransport, numRuns: number, seed: number): Promise<Tally> {
  const violations: Record<Violation, number> = { crash: 0, 'non-4xx-on-invalid': 0, 'invalid-logged': 0, 'valid-mishandled': 0, 'foreign-entries': 0 };
  const tally: Tally = { provider: kit.provider, transport: transport.name, seed, cases: 0, violations, outcomes: {}, ms: 0 };
  let failed = false;
  const escaped = (error: unknown) => {
    if (!failed) violations.crash += 1;
    failed = true;
    tally.failure ??= `an error escaped the handler: ${String(error)}`;
  };
  process.on('unhandledRejection', escaped);
  process.on('uncaughtException', escaped);
  const started = performance.now();
  try {
    const property = fc.asyncProperty(fuzzCase(kit.templates.length), async (generated) => {
      const built = buildCase(kit, generated, Date.now());
      const { judged, status, finding } = await judge(kit, transport, built);
      if (!failed) {
        tally.cases += 1;
        count(tally.outcomes, judged, status);
      }
      if (finding === undefined) return;
      if (!failed) violations[finding.violation] += 1;
      failed = true;
      throw new Error(`${kit.provider} over ${transport.name}: ${finding.violation}: ${finding.detail}\n${describe(built)}`);
    });
    await fc.assert(property, { numRuns, seed, includeErrorInReport: true });
  } catch (error) {
    tally.failure ??= error instanceof Error ? error.message : String(error);
  } finally {
    tally.ms = Math.round(performance.now() - started);
    process.off('unhandledRejection', escaped);
    process.off('uncaughtException', escaped);
  }
  return tally;
}

function describe(built: ReturnType<typeof buildCase>): string {
  const { path, headers, body } = built.request;
  const text = Buffer.from(body).toString('latin1');
  return `POST ${path.length > 300 ? `${path.slice(0, 300)}… (${path.length} chars)` : path}\n${headers.map(([n, v]) => `${n}: ${v.slice(0, 200)}`).join('\n')}\n\n${text.length > 1500 ? `${text.slice(0, 1500)}… (${body.length} bytes)` : text}`;
}

function count(outcomes: Record<string, number>, judged: Judged, status: number): void {
  const key = `${judged} ${status}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}
