import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  // Examples import the package by name, as an app would; in tests that name means the source.
  resolve: {
    alias: [
      { find: /^verification-call-bridge\/adapters\/(.*)$/, replacement: src('adapters/$1.ts') },
      { find: /^verification-call-bridge\/stores\/(.*)$/, replacement: src('stores/$1.ts') },
      { find: /^verification-call-bridge\/testing$/, replacement: src('testing/index.ts') },
      { find: /^verification-call-bridge$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
