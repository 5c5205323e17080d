import { defineConfig } from 'tsup';

/** One build entry per subpath export; test/package.test.ts fails if the two drift apart. */
export const entries = {
  index: 'src/index.ts',
  'adapters/agora': 'src/adapters/agora.ts',
  'adapters/daily': 'src/adapters/daily.ts',
  'adapters/facetime': 'src/adapters/facetime.ts',
  'adapters/google-meet': 'src/adapters/google-meet.ts',
  'adapters/teams': 'src/adapters/teams.ts',
  'adapters/whatsapp': 'src/adapters/whatsapp.ts',
  'adapters/zoom': 'src/adapters/zoom.ts',
  'stores/memory': 'src/stores/memory.ts',
  'stores/postgres': 'src/stores/postgres.ts',
  'stores/sqlite': 'src/stores/sqlite.ts',
  // The SQLite store's writer thread, loaded by path with new Worker, never imported.
  'stores/sqlite/writer-thread': 'src/stores/sqlite/writer-thread.ts',
  'testing/index': 'src/testing/index.ts',
  'cli/index': 'src/cli/index.ts',
};

export default defineConfig({
  entry: entries,
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // Shared chunks keep one copy of the core, so a BridgeError from an adapter is the core's BridgeError.
  splitting: true,
  dts: { entry: Object.fromEntries(Object.entries(entries).filter(([name]) => name !== 'cli/index')) },
  clean: true,
  sourcemap: false,
  treeshake: true,
});
