import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

// Subprocess tests (CLI, package exports, several processes on one database) run the built package:
// build it once here when it is missing or older than the source, never from two test files at once.
export default function buildIfStale(): void {
  const built = join(root, 'dist/index.js');
  const sources = [join(root, 'src'), join(root, 'tsup.config.ts'), join(root, 'package.json')];
  if (existsSync(built) && newestMtime(sources) <= statSync(built).mtimeMs) return;
  execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 180_000 });
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stat = statSync(path);
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(readdirSync(path).map((name) => join(path, name))));
  }
  return newest;
}
