/** The parts of a whatsapp-web.js `Message` the adapter reads (the real class satisfies it). */
export interface WhatsAppMessageLike {
  /** Message id; `_serialized` is unique per message. */
  id: { _serialized: string };
  /** Text. */
  body: string;
  /** Sender's chat id (`…@c.us`, or an opaque `…@lid`). */
  from: string;
  /** Whether our own account sent it. */
  fromMe: boolean;
  /** Unix timestamp (seconds). */
  timestamp: number;
  /** Message type, e.g. `chat`. */
  type: string;
  /** Whether it is a status update rather than a chat message. */
  isStatus?: boolean;
}

/** The parts of a whatsapp-web.js `Call` the adapter reads (the real class satisfies it). */
export interface WhatsAppCallLike {
  /** Call id. */
  id: string;
  /** Caller's chat id. */
  from: string;
  /** When the call was offered (`offerTime`; seconds, UNCONFIRMED). */
  timestamp: number;
  /** Video or voice. */
  isVideo: boolean;
  /** Group calls are never verification calls. */
  isGroup: boolean;
  /** Whether our own account placed it. */
  fromMe: boolean;
}

/** The parts of a whatsapp-web.js `Client` the adapter uses: the app builds, authenticates and initialises it. */
export interface WhatsAppClientLike {
  /** Subscribes to `message` and `call`. */
  on(event: 'message', listener: (message: WhatsAppMessageLike) => void): unknown;
  /** Subscribes to `call`. */
  on(event: 'call', listener: (call: WhatsAppCallLike) => void): unknown;
  /** Unsubscribes. */
  removeListener(event: 'message' | 'call', listener: (...args: never[]) => void): unknown;
  /** Sends a text message to a chat. */
  sendMessage(chatId: string, content: string): Promise<unknown>;
}
