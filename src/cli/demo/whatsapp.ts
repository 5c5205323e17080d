import { whatsapp } from '../../adapters/whatsapp.js';
import { createFakeWhatsAppClient, startWhatsAppFake } from '../../testing/whatsapp-fake.js';
import type { DemoProvider } from './provider.js';

/** WhatsApp in the sandbox demo: a simulated WhatsApp Web session on the ops device; she sends the reference and calls. */
export const whatsAppDemo: DemoProvider = {
  provider: 'whatsapp',
  deviceHandle: '+442072221234',
  citizen: { platform: 'android', apps: ['whatsapp'] },
  async open() {
    const client = createFakeWhatsAppClient();
    const adapter = whatsapp({ clients: { 'sandbox-ops-device': client } });
    return { adapter, fake: startWhatsAppFake(adapter, client) };
  },
};
