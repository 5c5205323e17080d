import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { WhatsAppAdapter, WhatsAppCallLike, WhatsAppClientLike, WhatsAppMessageLike } from '../adapters/whatsapp.js';
import type { ProviderFake } from './provider-fake.js';

/** A message the fake client sent, as the ops device would have sent it. */
export interface SentWhatsAppMessage {
  /** The chat it went to. */
  chatId: string;
  /** Its text. */
  content: string;
}

/**
 * A stand-in for a whatsapp-web.js `Client` on the ops device: it emits the library's real `Message`
 * and `Call` objects, built from the raw objects WhatsApp Web gives the library, with no browser.
 */
export interface FakeWhatsAppClient extends WhatsAppClientLike {
  /** Everything sent through `sendMessage`. */
  readonly sent: SentWhatsAppMessage[];
  /** The citizen's phone sends a message from `chatId`. */
  receiveMessage(chatId: string, body: string, atSeconds?: number): WhatsAppMessageLike;
  /** The citizen's phone rings the ops device from `chatId`. */
  receiveCall(chatId: string, options?: { isVideo?: boolean; atSeconds?: number }): WhatsAppCallLike;
}

/** Builds a fake client. whatsapp-web.js is loaded here, lazily, and only for its structure classes. */
export function createFakeWhatsAppClient(): FakeWhatsAppClient {
  const require = createRequire(import.meta.url);
  const { Message } = require('whatsapp-web.js') as { Message: new (client: unknown, data: unknown) => WhatsAppMessageLike };
  const Call = require('whatsapp-web.js/src/structures/Call') as new (client: unknown, data: unknown) => WhatsAppCallLike;
  const emitter = new EventEmitter();
  const sent: SentWhatsAppMessage[] = [];
  const self = '442072221234@c.us';
  const client: FakeWhatsAppClient = {
    sent,
    on: (event: 'message' | 'call', listener: (value: never) => void) => emitter.on(event, listener as (value: unknown) => void),
    removeListener: (event, listener) => emitter.removeListener(event, listener as (value: unknown) => void),
    async sendMessage(chatId, content) {
      sent.push({ chatId, content });
      return {};
    },
    receiveMessage(chatId, body, atSeconds = Math.floor(Date.now() / 1000)) {
      const id = `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
      const message = new Message(client, {
        id: { fromMe: false, remote: chatId, id, _serialized: `false_${chatId}_${id}` },
        body,
        type: 'chat',
        t: atSeconds,
        from: chatId,
        to: self,
        ack: 1,
      });
      emitter.emit('message', message);
      return message;
    },
    receiveCall(chatId, options = {}) {
      const call = new Call(client, {
        id: randomBytes(10).toString('hex').toUpperCase(),
        peerJid: chatId,
        offerTime: options.atSeconds ?? Math.floor(Date.now() / 1000),
        isVideo: options.isVideo ?? true,
        isGroup: false,
        outgoing: false,
      });
      emitter.emit('call', call);
      return call;
    },
  } as FakeWhatsAppClient;
  return client;
}

/** The conformance kit's fake: the citizen's side of WhatsApp, driven through the ops device's fake client. */
export interface WhatsAppFake extends ProviderFake {
  /** The ops device's session. */
  client: FakeWhatsAppClient;
  /** The citizen's chat id. */
  citizenChatId: string;
}

/**
 * Plays lifecycle steps as the citizen would: `other-joined` sends the prefilled reference and rings the
 * device. There is no WhatsApp server API here to fail or revoke, so those methods throw.
 */
export function startWhatsAppFake(adapter: WhatsAppAdapter, client: FakeWhatsAppClient, citizenChatId = '447911123456@c.us'): WhatsAppFake {
  const noApi = (what: string) => () => {
    throw new Error(`WhatsApp has no server API here, so there is nothing to ${what}`);
  };
  return {
    client,
    citizenChatId,
    async play(step, providerCallId) {
      const reference = adapter.pendingReference(providerCallId);
      if (step === 'other-joined' && reference !== undefined) {
        client.receiveMessage(citizenChatId, `${reference} — police verification call`);
        client.receiveCall(citizenChatId);
      }
      return [];
    },
    replay: noApi('replay'),
    failNext: noApi('fail'),
    revokeCredentials: noApi('revoke'),
    holdsCall: (providerCallId) => adapter.isLive(providerCallId),
    deliverWebhooksTo: () => undefined,
    close: async () => undefined,
  };
}
