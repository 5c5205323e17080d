import type { AuditEntry, JsonObject } from '../index.js';

/** One line per entry: time, source, type, and what changed, for people reading a terminal. */
export function formatEntry(entry: AuditEntry): string {
  const sandbox = entry.data.sandbox === true ? ' [SANDBOX]' : '';
  const columns = [`#${entry.index}`.padEnd(5), entry.at, entry.source.padEnd(8), entry.type.padEnd(22), summarise(entry)];
  return `${columns.join('  ')}${sandbox}`.trimEnd();
}

function summarise(entry: AuditEntry): string {
  const parts: string[] = [];
  const transition = entry.data.transition as JsonObject | undefined;
  if (transition && typeof transition.to === 'string') parts.push(`→ ${transition.to}`);
  if (entry.provider) parts.push(entry.provider);
  const participant = entry.data.participant as JsonObject | undefined;
  if (participant && typeof participant.role === 'string') parts.push(participant.role);
  if (entry.type === 'outcome.recorded') parts.push(`${String(entry.data.outcome)} by ${entry.actor ?? 'unknown'}`);
  if (entry.type === 'operator.attested') parts.push(`${String(entry.data.fact)} (attested)`);
  if (entry.type === 'route.decided' && entry.data.kind === 'phone-fallback') parts.push('phone fallback');
  if (entry.data.late === true) parts.push('(after the call ended)');
  if (entry.actor && entry.type !== 'outcome.recorded') parts.push(`by ${entry.actor}`);
  if (entry.providerAt) parts.push(`provider time ${entry.providerAt}, skew ${formatSkew(entry.skewMs ?? 0)}`);
  return parts.join('  ');
}

function formatSkew(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms} ms`;
}
