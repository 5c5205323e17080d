// The SQLite store's writer thread: it owns the writing connection, so a commit's fsync blocks this
// thread and never the application's event loop. Built as its own entry and started by writer-client.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './connection.js';
import { createWriter } from './writer.js';
import { serveRequest, type WriterRequest, type WriterThreadData } from './writer-protocol.js';

const { filename, busyTimeoutMs } = workerData as WriterThreadData;
// Throws if the file cannot be opened, or refuses WAL or synchronous=FULL: the thread dies and the store fails its requests.
const writer = createWriter(openDatabase(filename, busyTimeoutMs));
const port = parentPort!;

port.on('message', (request: WriterRequest) => {
  port.postMessage(serveRequest(writer, request));
  if (request.op === 'close') port.close();
});
