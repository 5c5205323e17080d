import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import { entries } from '../tsup.config.js';

const root = new URL('..', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
  bin: Record<string, string>;
};

/** Runs a probe script in a fresh node process: every module URL it resolves, and what it printed. */
function probe(script: string, args: string[]): { imports: string[]; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vcb-imports-'));
  const log = join(dir, 'imports.log');
  try {
    const stdout = execFileSync(process.execPath, ['--import', './test/support/record-imports.mjs', script, ...args], {
      cwd: root,
      env: { ...process.env, VCB_IMPORT_LOG: log },
      stdio: 'pipe',
      encoding: 'utf8',
    });
    return { imports: readFileSync(log, 'utf8').trim().split('\n'), stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every module URL that importing `specifier` (by package name) resolves, in a fresh node process. */
function importsOf(specifier: string): string[] {
  return probe('./test/support/import-probe.mjs', [specifier]).imports;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('package shape', () => {
  it('has a build entry for every subpath export, and an export for every library entry', () => {
    const exported = new Set<string>();
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue;
      const file = typeof target === 'string' ? target : target.import;
      if (file.includes('*')) {
        const [prefix] = file.replace('./dist/', '').split('*');
        for (const name of Object.keys(entries).filter((entry) => entry.startsWith(prefix!))) exported.add(name);
      } else {
        exported.add(file.replace('./dist/', '').replace(/\.js$/, ''));
      }
    }
    const libraryEntries = Object.keys(entries).filter((name) => name !== 'cli/index');
    expect([...exported].sort()).toEqual(libraryEntries.sort());
    expect(manifest.bin.vcb).toBe('dist/cli/index.js');
    expect(Object.keys(entries)).toContain('cli/index');
  });

  it('builds every top-level adapter and store file as its own entry', () => {
    for (const folder of ['adapters', 'stores']) {
      const files = readdirSync(join(root, 'src', folder)).filter((name) => name.endsWith('.ts'));
      for (const file of files) expect(entries).toHaveProperty(`${folder}/${file.replace(/\.ts$/, '')}`, `src/${folder}/${file}`);
    }
  });

  it('ships JavaScript and type declarations for every library entry', () => {
    for (const name of Object.keys(entries).filter((entry) => entry !== 'cli/index')) {
      expect(existsSync(join(root, 'dist', `${name}.js`)), name).toBe(true);
      expect(existsSync(join(root, 'dist', `${name}.d.ts`)), name).toBe(true);
    }
  });
});

describe('import costs', () => {
  const heavy = /node_modules\/(better-sqlite3|pg|vitest|whatsapp-web\.js|puppeteer|@googleapis|agora-token|jose)\/|\/dist\/(adapters|stores|testing|cli)\//;

  it('loads no provider SDK, database driver or adapter when the core is imported', () => {
    const loaded = importsOf('verification-call-bridge');
    expect(loaded.some((url) => url.endsWith('/dist/index.js'))).toBe(true);
    expect(loaded.filter((url) => heavy.test(url))).toEqual([]);
  });

  it('loads libphonenumber-js only when a number is first validated, and validates as its ES module build does', () => {
    const numbers = ['+447911123456', '+44 7911 123456', '+1 202 555 0123', '+4420', '+4479111234567', '+33 1 42 68 53 00', '+999 123', '+', '+44abc'];
    const { imports, stdout } = probe('./test/support/phone-library-probe.mjs', [JSON.stringify(numbers)]);
    const { before, after, results } = JSON.parse(stdout) as { before: number; after: number; results: string[] };
    expect(imports.filter((url) => url.includes('libphonenumber-js'))).toEqual([]);
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
    // The oracle is the ES module build the core imported at its top before the load became lazy.
    const expected = numbers.map((value) => {
      const parsed = parsePhoneNumberFromString(value);
      return parsed?.isValid() ? parsed.number : 'INVALID_INPUT';
    });
    expect(expected.filter((result) => result !== 'INVALID_INPUT').length).toBeGreaterThanOrEqual(4);
    expect(results).toEqual(expected);
  });

  it('loads no database driver or test framework when the Daily adapter is imported', () => {
    const loaded = importsOf('verification-call-bridge/adapters/daily');
    expect(loaded.some((url) => url.endsWith('/dist/adapters/daily.js'))).toBe(true);
    expect(loaded.filter((url) => /better-sqlite3|vitest|\/dist\/stores\//.test(url))).toEqual([]);
  });

  it('does load the driver for the SQLite store (so the probe can see drivers at all)', () => {
    expect(importsOf('verification-call-bridge/stores/sqlite').some((url) => url.includes('better-sqlite3'))).toBe(true);
  });

  it('keeps src/core free of imports from adapters, stores, testing and the CLI, and of other packages', () => {
    const allowedPackages = new Set(['canonicalize', 'libphonenumber-js']);
    for (const file of sourceFiles(join(root, 'src/core'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, specifier] of text.matchAll(/from '([^']+)'/g)) {
        const where = relative(root, file);
        expect(specifier, where).not.toMatch(/\/(adapters|stores|testing|cli)\//);
        if (!specifier!.startsWith('.') && !specifier!.startsWith('node:')) expect(allowedPackages, `${where} imports ${specifier}`).toContain(specifier);
      }
    }
  });
});
