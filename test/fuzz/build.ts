import type { Auth, BodyShape, FuzzCase, PathShape } from './arbitraries.js';
import type { ProviderKit } from './kits.js';
import { editBytes, editHeaders, type FuzzRequest } from './requests.js';

/** A case made concrete: the request, when it was signed, and whether it is a genuine delivery left as it was. */
export interface BuiltCase {
  request: FuzzRequest;
  signedAtMs: number;
  /** Body and headers exactly as signed: a genuine delivery, so it must be taken (2xx) wherever it is routed to the provider. */
  pristine: boolean;
}

/** Turns a generated case into the request for this provider, signing (or forging) at `nowMs`. */
export function buildCase(kit: ProviderKit, fuzz: FuzzCase, nowMs: number): BuiltCase {
  const home = `/webhooks/${kit.provider}`;
  const genuine = (template: number) => kit.signer.sign(Buffer.from(kit.freshen(kit.templates[template]!, nowMs)), nowMs);
  switch (fuzz.kind) {
    case 'mutated': {
      const signed = genuine(fuzz.template);
      const body = fuzz.bodyEdits.reduce((bytes, edit) => editBytes(bytes, edit), signed.body);
      // Re-signed, the changed bytes are authentic: what a provider with a bug (or an attacker with the secret) sends.
      const resigned = fuzz.resign && fuzz.bodyEdits.length > 0 ? kit.signer.sign(body, nowMs) : { headers: signed.headers, body };
      const headers = fuzz.headerEdits.reduce(editHeaders, resigned.headers);
      return { request: { path: home, headers, body: resigned.body }, signedAtMs: nowMs, pristine: fuzz.bodyEdits.length === 0 && fuzz.headerEdits.length === 0 };
    }
    case 'path': {
      const { headers, body } = genuine(fuzz.template);
      return { request: { path: renderPath(kit, fuzz.path), headers, body }, signedAtMs: nowMs, pristine: true };
    }
    case 'headers': {
      const { body } = genuine(fuzz.template);
      return { request: { path: home, headers: [...authenticate(kit, fuzz.auth, body, nowMs).headers, ...fuzz.extra], body }, signedAtMs: nowMs, pristine: false };
    }
    case 'body': {
      const { headers, body } = authenticate(kit, fuzz.auth, renderBody(kit, fuzz.body, nowMs), nowMs);
      return { request: { path: home, headers: [...headers, ...fuzz.extra], body }, signedAtMs: nowMs, pristine: false };
    }
  }
}

function authenticate(kit: ProviderKit, auth: Auth, body: Uint8Array, nowMs: number) {
  if (auth === 'signed') return kit.signer.sign(body, nowMs);
  if (auth === 'forged') return kit.forger.sign(body, nowMs);
  return { headers: [['content-type', 'application/json']] as [string, string][], body };
}

function renderPath(kit: ProviderKit, shape: PathShape): string {
  const name = kit.provider;
  const spelt: Record<string, string> = {
    '=': name,
    '=encoded': [...Buffer.from(name)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
    '=upper': name.toUpperCase(),
    '=alias': kit.names.at(-1)!,
    '=dotdot': `x/../${name}`,
    '=suffix': `${name}x`,
    '=slash': `${name}/`,
  };
  return `${shape.prefix}${spelt[shape.name] ?? shape.name}${shape.query}`;
}

function renderBody(kit: ProviderKit, shape: BodyShape, nowMs: number): Uint8Array {
  switch (shape.shape) {
    case 'bytes':
      return shape.bytes;
    case 'json':
      return Buffer.from(JSON.stringify(shape.value) ?? 'null');
    case 'nested':
      return Buffer.from(shape.open.repeat(shape.depth) + 'null' + (shape.open === '[' ? ']' : shape.open === '{"a":' ? '}' : ']}').repeat(shape.depth));
    case 'number':
      return Buffer.from(shape.text);
    case 'field': {
      const parsed = JSON.parse(kit.freshen(kit.templates[shape.template]!, nowMs)) as unknown;
      return Buffer.from(JSON.stringify(replaceAt(parsed, shape.at, shape.value)));
    }
  }
}

// Replaces the value at one of the document's places (every object member and array item, depth first), chosen by `at`.
function replaceAt(document: unknown, at: number, value: unknown): unknown {
  const places: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
      places.push({ parent: node as Record<string, unknown>, key });
      walk((node as Record<string, unknown>)[key]);
    }
  };
  walk(document);
  const place = places[Math.floor(at * places.length)];
  if (place === undefined) return value;
  (place.parent as Record<string | number, unknown>)[place.key] = value;
  return document;
}
