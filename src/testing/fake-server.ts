import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a fake received, kept so tests can assert what the adapter sent. */
export interface RecordedRequest {
  /** HTTP method. */
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters. */
  query: URLSearchParams;
  /** Headers, lower-case names. */
  headers: IncomingHttpHeaders;
  /** Body as text. */
  rawBody: string;
  /** Body parsed as JSON or form data when it is either; otherwise undefined. */
  body: unknown;
  /** Where its arrival falls among every arrival and answer of this fake (1, 2, …), to tell concurrent requests from sequential ones. */
  receivedTick: number;
  /** The same count when its answer was written; undefined while it is pending. */
  answeredTick?: number;
}

/** What a fake answers. */
export interface FakeResponse {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** JSON body; omitted for empty responses. */
  body?: unknown;
  /** Raw text body, used instead of `body` (for text/plain answers). */
  text?: string;
}

/** A failure to inject into the next matching requests. */
export interface Fault {
  /** Status to answer with, e.g. 429, 500, 503. */
  status: number;
  /** How many matching requests fail. @default 1 */
  times?: number;
  /** Only requests with this method. */
  method?: string;
  /** Only requests whose path matches. */
  path?: RegExp;
  /** Headers to send, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** Body to send; by default the fake's own error body for the status. */
  body?: unknown;
}

/** A running fake provider API. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Makes the next matching requests fail. */
  injectFault(fault: Fault): void;
  /** Delays every answer by this many milliseconds. */
  setLatency(ms: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Settings for {@link startFakeServer}. */
export interface FakeServerOptions {
  /** The provider's own error body for a status, used by injected faults. */
  errorBody: (status: number) => unknown;
  /** Initial latency in milliseconds. @default 0 */
  latencyMs?: number;
}

/** Starts a fake API on a random loopback port, with request recording, latency and fault injection. */
export async function startFakeServer(
  handle: (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>,
  options: FakeServerOptions,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const faults: (Fault & { remaining: number })[] = [];
  let latencyMs = options.latencyMs ?? 0;
  let tick = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        body: parseBody(rawBody, req.headers['content-type']),
        receivedTick: (tick += 1),
      };
      requests.push(recorded);
      const respond = async (): Promise<FakeResponse> => {
        if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
        const fault = takeFault(faults, recorded);
        if (fault) return { status: fault.status, headers: fault.headers, body: fault.body ?? options.errorBody(fault.status) };
        return handle(recorded);
      };
      const answer = (response: FakeResponse) => {
        recorded.answeredTick = tick += 1;
        write(res, response);
      };
      respond().then(answer, (error: unknown) => answer({ status: 500, body: { error: 'fake-internal-error', info: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Whether two requests were in flight at the fake at once: each arrived before the other was answered. */
export function wereConcurrent(a: RecordedRequest, b: RecordedRequest): boolean {
  return a.answeredTick !== undefined && b.answeredTick !== undefined && a.receivedTick < b.answeredTick && b.receivedTick < a.answeredTick;
}

/** Result of delivering a webhook to the bridge. */
export interface Delivery {
  /** HTTP status the bridge answered. */
  status: number;
  /** Body the bridge answered. */
  responseBody: string;
  /** Exactly what was sent, so it can be replayed byte for byte. */
  sent: { url: string; headers: Record<string, string>; body: string };
}

/** POSTs a webhook exactly as given and reports the answer. */
export async function deliver(url: string, headers: Record<string, string>, body: string): Promise<Delivery> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, responseBody: await response.text(), sent: { url, headers, body } };
}

function takeFault(faults: (Fault & { remaining: number })[], request: RecordedRequest): Fault | undefined {
  const index = faults.findIndex(
    (f) => (f.method === undefined || f.method === request.method) && (f.path === undefined || f.path.test(request.path)),
  );
  if (index === -1) return undefined;
  const fault = faults[index]!;
  fault.remaining -= 1;
  if (fault.remaining <= 0) faults.splice(index, 1);
  return fault;
}

function parseBody(rawBody: string, contentType: string | undefined): unknown {
  if (rawBody.length === 0) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(rawBody));
  try {
    return JSON.parse(rawBody);
  } catch {
    return undefined;
  }
}

function write(res: import('node:http').ServerResponse, response: FakeResponse): void {
  const text = response.text ?? (response.body === undefined ? '' : JSON.stringify(response.body));
  const contentType = response.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(response.status, { ...(text.length > 0 ? { 'content-type': contentType } : {}), ...response.headers });
  res.end(text);
}
