import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

/** What a scripted server received: the raw request target (exact bytes of path and query), headers, body. */
export interface Received {
  method: string;
  /** The request target exactly as sent: `/path?query`. */
  target: string;
  rawQuery: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Script = (request: Received, response: http.ServerResponse, index: number) => void;

export interface ScriptedServer {
  url: string;
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const servers: ScriptedServer[] = [];

/** A node:http server on 127.0.0.1:0 that records every request and answers with `script`. */
export async function scriptedServer(script: Script): Promise<ScriptedServer> {
  const received: Received[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.url ?? '';
      const q = target.indexOf('?');
      const record: Received = { method: req.method ?? '', target, rawQuery: q >= 0 ? target.slice(q + 1) : '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(record);
      script(record, res, received.length - 1);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle: ScriptedServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

/** A port that was bound and closed: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
