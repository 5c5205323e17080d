/**
 * Provider webhooks in Hono, Express and Fastify. The README shows each region below as it is here,
 * and test/bridge/webhook-frameworks.test.ts runs each against the real framework.
 */
import { createServer } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createFetchWebhookHandler, createWebhookHandler, webhookServerOptions, type Bridge } from 'verification-call-bridge';

// #region hono
/** Hono: the handler takes the web-standard Request, so the body is still unread when it gets it. */
export function honoWebhooks(bridge: Bridge): Hono {
  const app = new Hono();
  const webhooks = createFetchWebhookHandler(bridge);
  app.all('/webhooks/*', (c) => webhooks(c.req.raw));
  return app;
}
// #endregion

// #region express
/** Express: mount the node:http listener before any body parser, which would take the raw bytes. */
export function expressWebhooks(bridge: Bridge): ReturnType<typeof createServer> {
  const app = express();
  app.all('/webhooks/*provider', createWebhookHandler(bridge));
  app.use(express.json()); // the app's own routes after this
  return createServer(webhookServerOptions(), app);
}
// #endregion

// #region fastify
/** Fastify: a scope whose parser leaves the body unread, and a handler that takes over the raw reply. */
export function fastifyWebhooks(bridge: Bridge): ReturnType<typeof Fastify> {
  const serverOptions = webhookServerOptions();
  const app = Fastify({ http: serverOptions, requestTimeout: serverOptions.requestTimeout! });
  const webhooks = createWebhookHandler(bridge);
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.all('/webhooks/*', (request, reply) => {
      reply.hijack();
      webhooks(request.raw, reply.raw);
    });
  });
  return app;
}
// #endregion
