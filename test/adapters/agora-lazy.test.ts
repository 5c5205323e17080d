import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

/** Module URLs a fresh node process resolves when it runs `script` (with the package's import recorder). */
function modulesLoadedBy(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-agora-imports-'));
  const log = join(dir, 'imports.log');
  try {
    execFileSync(process.execPath, ['--import', './test/support/record-imports.mjs', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, VCB_IMPORT_LOG: log },
      stdio: 'pipe',
    });
    return readFileSync(log, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('agora-token is an optional peer, loaded only when a token is minted', () => {
  it('is not loaded by importing the adapter, nor by the testing kit', () => {
    const loaded = modulesLoadedBy(
      "await import('verification-call-bridge/adapters/agora'); const kit = await import('verification-call-bridge/testing'); if (!kit.startAgoraFake) process.exit(3);",
    );
    expect(loaded.some((url) => url.endsWith('/dist/adapters/agora.js'))).toBe(true);
    expect(loaded.filter((url) => url.includes('/agora-token/'))).toEqual([]);
  });

  it('is loaded by the first token, through its CommonJS default export', () => {
    const loaded = modulesLoadedBy(`
      const { agora } = await import('verification-call-bridge/adapters/agora');
      const adapter = agora({ appId: '${'a'.repeat(32)}', appCertificate: '${'b'.repeat(32)}', webhookSecret: 's', joinPageUrl: 'https://x.example/j' });
      const call = await adapter.createCall({ verificationId: 'v', flow: 'callback', device: { id: 'd', handle: 'h' }, expiresAt: new Date(Date.now() + 60000).toISOString() });
      if (!call.otherSide.token.startsWith('007')) process.exit(3);
    `);
    expect(loaded.some((url) => url.includes('/agora-token/'))).toBe(true);
  });
});
