import { createHash, randomBytes } from 'node:crypto';
import {
  BridgeError,
  CALL_ADAPTER_SPECIFICATION_VERSION,
  parseE164,
  webhookRefused,
  type CallAdapter,
  type CreatedCall,
  type LiveCallDirectory,
  type ProviderEvent,
  type WebhookResult,
} from '../index.js';
import type { WhatsAppCallLike, WhatsAppClientLike, WhatsAppMessageLike } from './whatsapp/client.js';
import { confirmationText, prefilledText, referenceIn, unmatchedText } from './whatsapp/messages.js';

export type { WhatsAppCallLike, WhatsAppClientLike, WhatsAppMessageLike } from './whatsapp/client.js';

/** Provider id of this adapter. */
export const PROVIDER_NAME = 'whatsapp';

/** The providerCallId of events that belong to no verification; the bridge logs them as unmatched. */
export const UNMATCHED_CALL_ID = 'unmatched';

/** Options for {@link whatsapp}. */
export interface WhatsAppAdapterOptions {
  /**
   * Each ops device's WhatsApp Web session, by device id: a whatsapp-web.js `Client` the app built
   * with its own auth strategy and browser, initialised and ready.
   */
  clients: Readonly<Record<string, WhatsAppClientLike>>;
  /** Tell a citizen whose message names no current verification not to rely on whoever gave it. @default true */
  replyToUnmatched?: boolean;
}

/** The WhatsApp adapter: a `CallAdapter` plus what the ops console may ask of it. */
export interface WhatsAppAdapter extends CallAdapter {
  /** The reference a call waits for her to send, while it is live. */
  pendingReference(providerCallId: string): string | undefined;
  /** Whether a call this adapter created has not yet ended. */
  isLive(providerCallId: string): boolean;
}

interface LiveCall {
  deviceId: string;
  reference: string;
  chatId?: string;
}

/**
 * WhatsApp through the ops device's own WhatsApp Web session (whatsapp-web.js): the citizen opens a
 * wa.me link that prefills the verification reference; her message ties her chat to the call and her
 * incoming call makes it ring. WhatsApp Web cannot answer calls, so the supervisor attests the rest,
 * and after the outcome she gets a written record on the same chat.
 */
export function whatsapp(options: WhatsAppAdapterOptions): WhatsAppAdapter {
  const live = new Map<string, LiveCall>();
  const callForChat = new Map<string, string>();
  const replyToUnmatched = options.replyToUnmatched ?? true;

  function clientFor(deviceId: string): WhatsAppClientLike | undefined {
    return Object.hasOwn(options.clients, deviceId) ? options.clients[deviceId] : undefined;
  }

  // A call this process did not create (another server's, or one from before a restart) is found through the store.
  async function storedCall(deviceId: string, reference: string, calls: LiveCallDirectory): Promise<[string, LiveCall] | undefined> {
    const stored = await calls.withReference(reference).catch(() => undefined);
    if (stored === undefined || stored.deviceId !== deviceId || live.has(stored.providerCallId)) return undefined;
    const call: LiveCall = { deviceId, reference };
    live.set(stored.providerCallId, call);
    return [stored.providerCallId, call];
  }

  function onMessage(deviceId: string, message: WhatsAppMessageLike, sink: (events: ProviderEvent[]) => void, calls: LiveCallDirectory | undefined): void {
    if (message.fromMe || message.isStatus || !isDirectChat(message.from)) return;
    const reference = referenceIn(message.body);
    if (reference === undefined) return; // Not verification traffic: the ops device's other chats stay out of the log.
    const known = [...live.entries()].find(([, call]) => call.deviceId === deviceId && call.reference === reference);
    // Calls this process knows are linked at once, so her call right after her message finds its chat.
    if (known !== undefined || calls === undefined) return link(deviceId, message, reference, known?.[1].chatId === undefined ? known : undefined, sink);
    void storedCall(deviceId, reference, calls).then((match) => link(deviceId, message, reference, match, sink));
  }

  function link(deviceId: string, message: WhatsAppMessageLike, reference: string, match: [string, LiveCall] | undefined, sink: (events: ProviderEvent[]) => void): void {
    const base = {
      providerType: 'message',
      // The serialized id embeds her chat id; its hash is as unique and keeps her number out of the log.
      providerEventId: `message:${createHash('sha256').update(message.id._serialized).digest('hex').slice(0, 32)}`,
      providerTime: { value: message.timestamp, unit: 'seconds' as const },
      participant: { role: 'other-side' as const },
      personalData: { chatId: message.from },
    };
    if (match === undefined) {
      sink([{ ...base, type: 'chat.linked', providerCallId: UNMATCHED_CALL_ID, evidence: { reason: 'no-matching-reference', reference } }]);
      if (replyToUnmatched) void clientFor(deviceId)?.sendMessage(message.from, unmatchedText(reference)).catch(() => undefined);
      return;
    }
    const [providerCallId, call] = match;
    call.chatId = message.from;
    callForChat.set(`${deviceId}\u0000${message.from}`, providerCallId);
    sink([{ ...base, type: 'chat.linked', providerCallId, evidence: { reference } }]);
  }

  function onCall(deviceId: string, call: WhatsAppCallLike, sink: (events: ProviderEvent[]) => void): void {
    if (call.fromMe || call.isGroup) return;
    const providerCallId = callForChat.get(`${deviceId}\u0000${call.from}`);
    sink([
      {
        type: 'call.started',
        providerType: 'call',
        providerCallId: providerCallId ?? UNMATCHED_CALL_ID,
        providerEventId: `call:${call.id}`,
        // whatsapp-web.js documents offerTime only as a Unix timestamp; `auto` accepts seconds or milliseconds.
        providerTime: { value: call.timestamp, unit: 'auto' },
        participant: { role: 'other-side' },
        personalData: { chatId: call.from },
        evidence: { isVideo: call.isVideo, ...(providerCallId === undefined ? { reason: 'chat-not-linked' } : {}) },
      },
    ]);
  }

  // Her chat is known from the start: its id is her number, so the outcome can be confirmed to her there.
  function callBack(deviceId: string, opsNumber: string, reference: string, providerCallId: string, phoneNumber: string | undefined): CreatedCall {
    if (phoneNumber === undefined) throw new BridgeError('INVALID_INPUT', 'whatsapp: a callback needs her phone number', { provider: PROVIDER_NAME });
    const chatId = `${phoneNumber.slice(1)}@c.us`;
    live.set(providerCallId, { deviceId, reference, chatId });
    callForChat.set(`${deviceId}\u0000${chatId}`, providerCallId);
    return {
      providerCallId,
      otherSide: { url: `https://wa.me/${opsNumber.slice(1)}`, displayName: 'The ops room will call you on WhatsApp from this number' },
      // An app scheme, not a web link, so the log (which keeps only a web link's origin and path) never holds her number.
      opsDevice: { url: `whatsapp://send?phone=${phoneNumber.slice(1)}&text=${encodeURIComponent(prefilledText(reference))}`, displayName: 'Call her back on WhatsApp' },
      evidence: { kind: 'callback' },
    };
  }

  return {
    specificationVersion: CALL_ADAPTER_SPECIFICATION_VERSION,
    provider: PROVIDER_NAME,
    capabilities: {
      platforms: ['ios', 'android'],
      access: 'app',
      // WhatsApp Web can neither place nor answer calls: she (or, in officer-device, the officer) messages the
      // reference and calls the device, or its operator calls her back by hand.
      flows: ['officer-device', 'citizen-device', 'callback'],
      // Her message and call arrive from the session; answering, connecting and ending are attested.
      lifecycle: 'operator',
      recording: false,
    },

    async createCall(request) {
      if (request.reference === undefined) throw new BridgeError('INVALID_CONFIG', 'whatsapp needs the verification reference', { provider: PROVIDER_NAME });
      const number = opsNumber(request.device.handle);
      const providerCallId = `whatsapp-${randomBytes(12).toString('base64url')}`;
      if (request.flow === 'callback') return callBack(request.device.id, number, request.reference, providerCallId, request.otherSide?.phoneNumber);
      live.set(providerCallId, { deviceId: request.device.id, reference: request.reference });
      const link = `https://wa.me/${number.slice(1)}?text=${encodeURIComponent(prefilledText(request.reference))}`;
      return {
        providerCallId,
        otherSide: { url: link, displayName: 'Send the prefilled message, then video-call the ops room on WhatsApp' },
        opsDevice: { url: `https://wa.me/${number.slice(1)}`, displayName: `Answer the WhatsApp call from the chat that sends ${request.reference}` },
        evidence: { kind: 'wa.me-link', awaitingReference: request.reference },
      };
    },

    async endCall({ providerCallId }) {
      const call = live.get(providerCallId);
      if (call?.chatId !== undefined) callForChat.delete(`${call.deviceId}\u0000${call.chatId}`);
      live.delete(providerCallId);
    },

    async verifyWebhook(): Promise<WebhookResult> {
      // Nothing could vouch for a delivery, so it counts as unsigned.
      throw webhookRefused(PROVIDER_NAME, 'unsigned', 'whatsapp events come from the WhatsApp Web session, never a webhook');
    },

    async health() {
      return Object.keys(options.clients).length > 0 ? { ok: true } : { ok: false, reason: 'whatsapp has no WhatsApp Web session for any device' };
    },

    async checkDevice({ device }) {
      if (clientFor(device.id) === undefined) return 'no WhatsApp Web session is linked for this device';
      try {
        opsNumber(device.handle);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },

    subscribeEvents(sink, calls?: LiveCallDirectory) {
      const detach = Object.entries(options.clients).map(([deviceId, client]) => {
        const message = (m: WhatsAppMessageLike) => onMessage(deviceId, m, sink, calls);
        const call = (c: WhatsAppCallLike) => onCall(deviceId, c, sink);
        client.on('message', message);
        client.on('call', call);
        return () => {
          client.removeListener('message', message as (...args: never[]) => void);
          client.removeListener('call', call as (...args: never[]) => void);
        };
      });
      return () => detach.forEach((remove) => remove());
    },

    async confirmOutcome(confirmation) {
      const call = live.get(confirmation.providerCallId);
      if (call?.chatId === undefined) {
        throw new BridgeError('NOT_FOUND', 'whatsapp: she never messaged the reference, so there is no chat to confirm on', { provider: PROVIDER_NAME });
      }
      const client = clientFor(call.deviceId)!;
      await client.sendMessage(call.chatId, confirmationText(confirmation));
    },

    pendingReference: (providerCallId) => live.get(providerCallId)?.reference,
    isLive: (providerCallId) => live.has(providerCallId),
  };
}

export default whatsapp;

function isDirectChat(chatId: string): boolean {
  return chatId.endsWith('@c.us') || chatId.endsWith('@lid');
}

function opsNumber(handle: string): string {
  try {
    return parseE164(handle, 'whatsapp handle');
  } catch (error) {
    throw new BridgeError('INVALID_CONFIG', "whatsapp: the ops device's handle must be its WhatsApp number in international form", {
      provider: PROVIDER_NAME,
      cause: error,
    });
  }
}
