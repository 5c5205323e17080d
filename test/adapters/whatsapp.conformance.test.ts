import { whatsapp } from '../../src/adapters/whatsapp.js';
import { createFakeWhatsAppClient, startWhatsAppFake, testAdapter } from '../../src/testing/index.js';

const NO_API = 'WhatsApp Web has no server API the adapter calls:';

testAdapter({
  name: 'whatsapp',
  async setup() {
    const client = createFakeWhatsAppClient();
    const adapter = whatsapp({ clients: { 'conformance-device': client } });
    return { adapter, fake: startWhatsAppFake(adapter, client), deviceHandle: '+442072221234', secrets: [] };
  },
  optOut: {
    'provider-401-marks-unhealthy': `${NO_API} the session is the app's, already signed in`,
    'provider-404-on-end-is-done': `${NO_API} nothing is released at the end`,
    'provider-429-retried-after-wait': `${NO_API} creating a call only builds a wa.me link`,
    'provider-429-storm-falls-back': `${NO_API} creating a call only builds a wa.me link`,
    'provider-5xx-create-not-retried': `${NO_API} creating a call only builds a wa.me link`,
    'provider-5xx-end-retried': `${NO_API} nothing is released at the end`,
  },
});
