// Test kit for adapter authors: the conformance suite (needs vitest) and faithful local fakes of provider APIs.
export * from './agora-fake.js';
export * from './conformance.js';
export * from './daily-fake.js';
export * from './facetime-fake.js';
export * from './fake-server.js';
export * from './google-meet-fake.js';
export * from './provider-fake.js';
export * from './teams-fake.js';
export * from './webhook-receiver.js';
export * from './whatsapp-fake.js';
export * from './zoom-fake.js';
