// The SQLite store's writer thread: it owns the writing connection, so a commit's fsync blocks this
// thread and never the application's event loop. Built as its own entry and started by writer-client.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection.js';
import { createWriter } from './writer.js';
import type { WriterRequest, WriterThreadData } from './writer-protocol.js';
import { WriterQueue } from './writer-queue.js';

const { filename, busyTimeoutMs } = workerData as WriterThreadData;
// Throws if the file cannot be opened, or refuses WAL or synchronous=FULL: the thread dies and the store fails its requests.
const writer = createWriter(openDatabase(filename, busyTimeoutMs));
const port = parentPort!;
const queue = new WriterQueue(writer, (reply) => {
  port.postMessage(reply);
  if (closing === reply.id) port.close();
});
let closing: number | undefined;

port.on('message', (request: WriterRequest) => {
  if (request.op === 'close') closing = request.id;
  queue.receive(request);
});
