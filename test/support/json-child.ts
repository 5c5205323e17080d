import { spawn } from 'node:child_process';

/** Runs a Node script to its end and parses the one JSON document it prints; rejects with its stderr if it fails. */
export function runJsonChild<T>(argv: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child ${argv.slice(1).join(' ')} exited with ${String(code)}: ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}
