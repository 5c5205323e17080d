/**
 * How a police app's server uses the SDK: an endpoint the officer's app calls to start a
 * verification, the webhook endpoint providers call, and the ops console's outcome and end calls.
 * Runs against the Daily sandbox here (see test/examples.test.ts); swap in real credentials to go live.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  BridgeError,
  createBridge,
  createWebhookHandler,
  webhookServerOptions,
  type Bridge,
  type BridgeStore,
  type CallAdapter,
  type OpsRoom,
  type StartVerificationInput,
} from 'verification-call-bridge';

/** What the force configures once. */
export interface PoliceAppConfig {
  store: BridgeStore;
  adapters: CallAdapter[];
  rooms: OpsRoom[];
  personalDataKey: string | Uint8Array;
  sandbox?: boolean;
}

/** The app's HTTP API: POST /verifications, POST /verifications/:id/outcome, POST /verifications/:id/end, POST /webhooks/:provider. */
export function createPoliceAppServer(config: PoliceAppConfig): { bridge: Bridge; server: ReturnType<typeof createServer> } {
  const bridge = createBridge({ ...config, preference: ['daily'] });
  const webhooks = createWebhookHandler(bridge);

  // Slow headers and bodies are cut off for every route, not only the webhooks.
  const server = createServer(webhookServerOptions(), (request, response) => {
    if (request.url?.startsWith('/webhooks/')) return webhooks(request, response);
    route(request, response).catch((error: unknown) => {
      // Stable codes let the officer's app tell "fix your input" from "try the phone".
      const code = BridgeError.isInstance(error) ? error.code : 'INTERNAL';
      json(response, code === 'INVALID_INPUT' ? 400 : code === 'NOT_FOUND' ? 404 : code === 'ILLEGAL_TRANSITION' ? 409 : 500, { error: code });
    });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readJson(request);
    const [, resource, id, action] = (request.url ?? '').split('/');
    if (request.method !== 'POST' || resource !== 'verifications') throw new BridgeError('NOT_FOUND', 'no such endpoint');
    if (id === undefined || id === '') {
      const call = await bridge.startVerification(body as StartVerificationInput);
      // The officer's app shows the reference; the citizen gets her own link, or the phone numbers.
      return json(response, 201, {
        verificationId: call.verification.id,
        reference: call.verification.reference,
        state: call.state,
        citizenLink: call.join?.otherSide.url,
        fallback: call.fallback,
      });
    }
    // From the store, not this process's memory: another server may have started it, and it may have ended.
    const call = await bridge.getCall(id);
    if (!call) throw new BridgeError('NOT_FOUND', `no verification ${id}`);
    if (action === 'outcome') return json(response, 200, await call.recordOutcome(body as never));
    if (action === 'end') return json(response, 200, await call.end({ actor: 'ops-console' }));
    throw new BridgeError('NOT_FOUND', 'no such endpoint');
  }

  return { bridge, server };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BridgeError('INVALID_INPUT', 'the body is not JSON');
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
