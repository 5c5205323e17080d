import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookHandler, type Bridge } from '../index.js';

/** A bridge's webhook endpoint served on a random loopback port, for fakes to deliver to. */
export interface WebhookReceiver {
  /** The URL a provider's webhooks go to, e.g. `http://127.0.0.1:PORT/webhooks/daily`. */
  urlFor(provider: string): string;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Serves `createWebhookHandler(bridge)` on 127.0.0.1 at a free port. */
export async function startWebhookReceiver(bridge: Pick<Bridge, 'handleWebhook'>): Promise<WebhookReceiver> {
  const server = createServer(createWebhookHandler(bridge));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (provider) => `http://127.0.0.1:${port}/webhooks/${encodeURIComponent(provider)}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
