/** One request as the fuzzer sends it: the path as written, headers in order (names in any case, repeats allowed), raw bytes. */
export interface FuzzRequest {
  path: string;
  headers: [string, string][];
  body: Uint8Array;
}

/** One byte-level change; positions are fractions of the length, so a change applies to any value. */
export type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'insert'; at: number; byte: number }
  | { op: 'delete'; at: number }
  | { op: 'replace'; at: number; byte: number };

/** One change to the header list; `which` is a fraction picking the header. */
export type HeaderEdit =
  | { op: 'value'; which: number; edit: ByteEdit }
  | { op: 'drop'; which: number }
  | { op: 'duplicate'; which: number }
  | { op: 'case'; which: number; pattern: number };

/**
 * Bytes a header value may hold on both transports: tab, visible ASCII, space and obs-text. Fetch's
 * Headers and node's client refuse NUL, CR, LF and other controls before anything is sent, so a
 * mutation that would make one keeps the byte it had.
 */
export function isHeaderValueByte(byte: number): boolean {
  return byte === 0x09 || (byte >= 0x20 && byte <= 0x7e) || (byte >= 0x80 && byte <= 0xff);
}

/** The bytes after one edit. */
export function editBytes(bytes: Uint8Array, edit: ByteEdit, allowed: (byte: number) => boolean = () => true): Uint8Array {
  const length = bytes.length;
  const at = Math.min(Math.floor(edit.at * (edit.op === 'insert' ? length + 1 : length)), Math.max(0, edit.op === 'insert' ? length : length - 1));
  if (edit.op === 'insert') return allowed(edit.byte) ? concat(bytes.subarray(0, at), Uint8Array.of(edit.byte), bytes.subarray(at)) : bytes;
  if (length === 0) return bytes;
  if (edit.op === 'delete') return concat(bytes.subarray(0, at), bytes.subarray(at + 1));
  const next = edit.op === 'flip' ? bytes[at]! ^ (1 << edit.bit) : edit.byte;
  if (!allowed(next)) return bytes;
  const copy = Uint8Array.from(bytes);
  copy[at] = next;
  return copy;
}

/** The header list after one edit. */
export function editHeaders(headers: [string, string][], edit: HeaderEdit): [string, string][] {
  if (headers.length === 0) return headers;
  const index = Math.min(Math.floor(edit.which * headers.length), headers.length - 1);
  const [name, value] = headers[index]!;
  const others = (replacement: [string, string][]) => [...headers.slice(0, index), ...replacement, ...headers.slice(index + 1)];
  switch (edit.op) {
    case 'drop':
      return others([]);
    case 'duplicate':
      return others([
        [name, value],
        [name, value],
      ]);
    case 'case':
      return others([[[...name].map((c, i) => ((edit.pattern >> i % 30) & 1 ? c.toUpperCase() : c.toLowerCase())).join(''), value]]);
    case 'value':
      return others([[name, Buffer.from(editBytes(Buffer.from(value, 'latin1'), edit.edit, isHeaderValueByte)).toString('latin1')]]);
  }
}

/**
 * The headers as both transports hand them to the handler: names lower-cased, values stripped of
 * surrounding spaces and tabs, repeats joined with ", " (the Fetch standard; node does the same for
 * every header the oracle reads).
 */
export function effectiveHeaders(headers: readonly [string, string][]): Record<string, string> {
  // No prototype, so a header named __proto__ is a header like any other.
  const merged: Record<string, string> = Object.create(null);
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const trimmed = value.replace(/^[\t ]+|[\t ]+$/g, '');
    merged[key] = merged[key] === undefined ? trimmed : `${merged[key]}, ${trimmed}`;
  }
  return merged;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}
