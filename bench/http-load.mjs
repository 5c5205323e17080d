// A small HTTP load generator for the benches (no autocannon here): it POSTs a list of requests to one
// URL from `concurrency` keep-alive connections, each connection sending its next request as soon as
// the last is answered, and prints what it measured as JSON. Run in a child process, so the server
// under test does not share its event loop with the load.
//
//   node bench/http-load.mjs <requests.json> <url> <concurrency>
//
// requests.json holds [{ headers, body }]; each is sent once, in order of who is free first.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

/** Runs this file as a child against `url`; resolves with its measurements. */
export function runLoad(requestsFile, url, concurrency) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), requestsFile, url, String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`the load generator exited with ${code}`))));
  });
}

function post(agent, url, { headers, body }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const outgoing = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, ms: performance.now() - started }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function main([requestsFile, url, concurrencyText]) {
  const requests = JSON.parse(readFileSync(requestsFile, 'utf8'));
  const concurrency = Number(concurrencyText);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = [];
  const statuses = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const { status, ms } = await post(agent, url, requests[next++]);
        latencies.push(ms);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  process.stdout.write(JSON.stringify({ requests: latencies.length, ms, rps: (latencies.length / ms) * 1000, p50: at(0.5), p99: at(0.99), max: latencies.at(-1), statuses }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
