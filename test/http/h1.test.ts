import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpFailure, type HttpResponse } from '../../src/http/client.js';
import { parseHead } from '../../src/http/h1.js';
import { closedPort, scriptedServer } from './server.js';

/**
 * tpb's own HTTP/1.1 client (src/http/h1.ts, used for every http:// request) against real
 * servers answering the ways real trackers' stacks answer: node:http (chunked by default,
 * keep-alive, Connection: close, HEAD, 1xx), and raw TCP servers for what node:http will not send
 * (a head dribbled byte by byte, HTTP/1.0 close-delimited bodies, conflicting lengths, garbage).
 */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function client(options: ConstructorParameters<typeof HttpClient>[0] = {}): HttpClient {
  const made = new HttpClient(options);
  closers.push(() => made.close());
  return made;
}

interface RawServer {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Every byte each connection received. */
  received: string[];
}

/** A TCP server whose `onRequest` writes whatever bytes it likes once a request head has come. */
async function rawServer(onRequest: (socket: net.Socket, request: string, index: number) => void): Promise<RawServer> {
  const state: RawServer = { url: '', connections: 0, received: [] };
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const connection = state.connections;
    state.connections += 1;
    state.received[connection] = '';
    let buffered = '';
    socket.on('data', (chunk) => {
      state.received[connection] += chunk.toString('latin1');
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const request = buffered.slice(0, end + 4);
        buffered = buffered.slice(end + 4);
        onRequest(socket, request, requests);
        requests += 1;
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** A node:http server and the number of connections it accepted. */
async function nodeServer(handler: http.RequestListener, configure?: (server: http.Server) => void): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer(handler);
  configure?.(server);
  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

async function failureOf(promise: Promise<HttpResponse>): Promise<HttpFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the http client: bodies', () => {
  it('reads a chunked body (node:http without a length), keeps the connection, and decodes UTF-8 split across chunks', async () => {
    const server = await nodeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      const bytes = Buffer.from('success=true; 日本', 'utf8');
      // Split inside a three-byte character, in separate TCP writes.
      res.write(bytes.subarray(0, bytes.length - 2));
      setTimeout(() => res.end(bytes.subarray(bytes.length - 2)), 20);
    });
    const http1 = client();
    for (let i = 0; i < 3; i += 1) {
      const answer = await http1.send({ url: `${server.url}/pb?i=${i}` });
      expect(answer).toMatchObject({ status: 200, body: 'success=true; 日本', truncated: false });
      expect(answer.headers['transfer-encoding']).toBe('chunked');
    }
    expect(server.connections()).toBe(1);
  });

  it('reads chunk extensions and trailers, and a body framed by the end of an HTTP/1.0 connection', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/chunked')) {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\n\r\n');
      } else {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>id=');
        setTimeout(() => socket.end('abc</p>'), 20);
      }
    });
    const http1 = client();
    expect(await http1.send({ url: `${server.url}/chunked` })).toMatchObject({ status: 200, body: 'hello world', truncated: false });
    expect(await http1.send({ url: `${server.url}/close-delimited` })).toMatchObject({ status: 200, body: '<p>id=abc</p>', truncated: false });
    // Chunked kept the connection; the close-delimited answer ended it; a new one serves the next.
    expect(await http1.send({ url: `${server.url}/chunked` })).toMatchObject({ body: 'hello world' });
    expect(server.connections).toBe(2);
  });

  it('cuts a body over the limit, closes that connection, and the next request works', async () => {
    const big = 'x'.repeat(200_000);
    const server = await nodeServer((req, res) => {
      if (req.url === '/big') res.end(big);
      else res.end('small');
    });
    const http1 = client({ maxBodyBytes: 1000 });
    const cut = await http1.send({ url: `${server.url}/big` });
    expect(cut.truncated).toBe(true);
    expect(cut.body).toBe('x'.repeat(1000));
    expect(await http1.send({ url: `${server.url}/small` })).toMatchObject({ body: 'small', truncated: false });
    expect(server.connections()).toBe(2);
    // A per-request limit wins over the client's.
    expect((await http1.send({ url: `${server.url}/big`, maxBodyBytes: 10 })).body).toBe('xxxxxxxxxx');
  });

  it('answers to HEAD, 204 and 304 have no body whatever their headers say', async () => {
    const server = await nodeServer((req, res) => {
      if (req.url === '/204') {
        res.writeHead(204).end();
      } else if (req.url === '/304') {
        res.writeHead(304, { etag: '"a"' }).end();
      } else {
        res.writeHead(200, { 'content-length': '1000', 'content-type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : 'y'.repeat(1000));
      }
    });
    const http1 = client({ timeoutMs: 2000 });
    const head = await http1.send({ url: `${server.url}/x`, method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '', truncated: false });
    expect(head.headers['content-length']).toBe('1000');
    expect(await http1.send({ url: `${server.url}/204` })).toMatchObject({ status: 204, body: '' });
    expect(await http1.send({ url: `${server.url}/304` })).toMatchObject({ status: 304, body: '' });
    expect((await http1.send({ url: `${server.url}/x` })).body).toHaveLength(1000);
  });

  it('takes Transfer-Encoding over Content-Length and does not reuse that connection', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
    });
    const http1 = client();
    expect((await http1.send({ url: `${server.url}/a` })).body).toBe('ok');
    expect((await http1.send({ url: `${server.url}/b` })).body).toBe('ok');
    expect(server.connections).toBe(2);
  });
});

describe('the http client: heads', () => {
  it('reads a head dribbled in one-byte TCP packets, skips 100 Continue and 103 Early Hints, joins repeated headers', async () => {
    const server = await rawServer((socket) => {
      socket.setNoDelay(true);
      const answer =
        'HTTP/1.1 100 Continue\r\n\r\n' +
        'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
        'HTTP/1.1 302 Found\r\nLocation: /lp?transaction_id=abc\r\nVia: a\r\nVIA: b\r\nSet-Cookie: one=1\r\nSet-Cookie: two=2\r\nX-Folded: first\r\n  second\r\nContent-Length: 0\r\n\r\n';
      let i = 0;
      const next = () => {
        if (i >= answer.length || socket.destroyed) return;
        socket.write(answer[i]!);
        i += 1;
        setTimeout(next, 1);
      };
      next();
    });
    const http1 = client({ timeoutMs: 5000 });
    const answer = await http1.send({ url: `${server.url}/c` });
    expect(answer.status).toBe(302);
    expect(answer.headers).toMatchObject({ location: '/lp?transaction_id=abc', via: 'a, b', 'set-cookie': 'one=1', 'x-folded': 'first second', 'content-length': '0' });
  });

  it('reads heads with bare LF line ends and a status line without a reason', () => {
    expect(parseHead('HTTP/1.1 200\nContent-Type: text/plain\n\n')).toMatchObject({ status: 200, minor: 1, headers: { 'content-type': 'text/plain' } });
    expect(parseHead('HTTP/1.0 404 Not Found\r\nA:  spaced value \t\r\n\r\n').headers).toEqual({ a: 'spaced value' });
    expect(() => parseHead('HTTP/2 200\r\n\r\n')).toThrow(/not an HTTP\/1.x answer/);
    expect(() => parseHead('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n')).toThrow(/without a name/);
    expect(() => parseHead('HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n')).toThrow(/invalid header name/);
    // A header named __proto__ does not reach the object's prototype.
    const parsed = parseHead('HTTP/1.1 200 OK\r\n__proto__: x\r\nconstructor: y\r\n\r\n');
    expect(Object.getPrototypeOf(parsed.headers)).toBe(Object.prototype);
    expect(parsed.headers.constructor).toBe('y');
  });

  it('an answer that is not HTTP/1.x, conflicting lengths and a head over 16 KiB are network failures, not hangs', async () => {
    const server = await rawServer((socket, request) => {
      if (request.includes('/garbage')) socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n');
      else if (request.includes('/lengths')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd');
      else socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    });
    const http1 = client({ timeoutMs: 2000 });
    const garbage = await failureOf(http1.send({ url: `${server.url}/garbage` }));
    expect(garbage.kind).toBe('network');
    expect(garbage.message).toMatch(/invalid answer: not an HTTP\/1.x answer/);
    expect((await failureOf(http1.send({ url: `${server.url}/lengths` }))).message).toMatch(/conflicting Content-Length/);
    expect((await failureOf(http1.send({ url: `${server.url}/big` }))).message).toMatch(/over 16384 bytes/);
  });
});

describe('the http client: connections', () => {
  it('reuses keep-alive connections, at most `connections` of them, and follows Connection: close', async () => {
    let inFlight = 0;
    let most = 0;
    const server = await nodeServer((req, res) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        if (req.url?.startsWith('/close')) res.setHeader('connection', 'close');
        res.end('ok');
      }, 5);
    });
    const http1 = client({ connections: 4 });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => http1.send({ url: `${server.url}/a?i=${i}` })));
    expect(answers.every((answer) => answer.body === 'ok')).toBe(true);
    expect(most).toBeLessThanOrEqual(4);
    expect(server.connections()).toBe(4);
    // Each Connection: close answer ends its connection; the requests after it still go through.
    const single = client({ connections: 1 });
    for (let i = 0; i < 3; i += 1) expect((await single.send({ url: `${server.url}/close?i=${i}` })).body).toBe('ok');
    expect(server.connections()).toBe(4 + 3);
  });

  it('a connection the server closed while idle (its keep-alive timeout) is not used: the next request reconnects', async () => {
    const server = await nodeServer(
      (_req, res) => res.end('ok'),
      (s) => {
        s.keepAliveTimeout = 100;
      },
    );
    const http1 = client();
    expect((await http1.send({ url: `${server.url}/a` })).body).toBe('ok');
    await sleep(300);
    expect((await http1.send({ url: `${server.url}/b` })).body).toBe('ok');
    expect(server.connections()).toBe(2);
  });

  it('HTTP/1.0 answers without keep-alive end their connection', async () => {
    const server = await rawServer((socket) => {
      socket.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const http1 = client();
    expect((await http1.send({ url: `${server.url}/a` })).body).toBe('ok');
    expect((await http1.send({ url: `${server.url}/b` })).body).toBe('ok');
    expect(server.connections).toBe(2);
  });

  it('a timeout ends the exchange at the time asked for, and that connection is not reused', async () => {
    const server = await nodeServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('late'), 2000);
      else res.end('ok');
    });
    const http1 = client({ timeoutMs: 200, connections: 1 });
    const started = performance.now();
    const slow = await failureOf(http1.send({ url: `${server.url}/slow` }));
    expect(slow.kind).toBe('timeout');
    expect(slow.message).toBe('no answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(1000);
    // The one connection was given up with the request; a new one answers at once (no stale "late").
    expect((await http1.send({ url: `${server.url}/fast` })).body).toBe('ok');
    expect(server.connections()).toBe(2);
  });

  it('a timeout while the body is still coming says so', async () => {
    const server = await nodeServer((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('12345');
    });
    const failure = await failureOf(client({ timeoutMs: 200 }).send({ url: `${server.url}/half` }));
    expect(failure).toMatchObject({ kind: 'timeout', message: 'no complete answer within 200 ms' });
  });

  it('requests waiting for a connection time out too, and interrupt() ends those in flight', async () => {
    const server = await nodeServer(() => undefined);
    const http1 = client({ timeoutMs: 10_000, connections: 1 });
    const first = failureOf(http1.send({ url: `${server.url}/a` }));
    const queued = failureOf(http1.send({ url: `${server.url}/b`, timeoutMs: 100 }));
    expect((await queued).kind).toBe('timeout');
    await sleep(20);
    expect(http1.interrupt()).toBe(1);
    expect((await first).kind).toBe('interrupted');
    expect((await failureOf(http1.send({ url: `${server.url}/c` }))).message).toMatch(/not sent/);
  });

  it('names refused, reset mid-answer and closed-before-answer connections', async () => {
    const port = await closedPort();
    const http1 = client({ timeoutMs: 2000 });
    expect((await failureOf(http1.send({ url: `http://127.0.0.1:${port}/x` }))).kind).toBe('refused');
    const server = await rawServer((socket, request) => {
      if (request.includes('/half')) {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345');
        setTimeout(() => socket.destroy(), 20);
      } else socket.destroy();
    });
    const half = await failureOf(http1.send({ url: `${server.url}/half` }));
    expect(half.kind).toBe('reset');
    expect((await failureOf(http1.send({ url: `${server.url}/drop` }))).kind).toBe('reset');
  });
});

describe('the http client: requests', () => {
  it('writes host, connection, the headers given and content-length as undici did; the target byte for byte', async () => {
    const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const http1 = client();
    await http1.send({ url: `${server.url}/pb?cid=a%2Bb&x=1+2 3`, headers: { 'User-Agent': 'tpb-test', accept: '*/*' } });
    await http1.send({ url: `${server.url}/post`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":"é"}' });
    await http1.send({ url: `${server.url}/empty`, method: 'POST' });
    await http1.send({ url: `${server.url}/vhost`, headers: { host: 'tracker.example.com' } });
    const sent = server.received.join('');
    const port = new URL(server.url).port;
    expect(sent).toContain(`GET /pb?cid=a%2Bb&x=1+2%203 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\nUser-Agent: tpb-test\r\naccept: */*\r\n\r\n`);
    expect(sent).toContain('POST /post HTTP/1.1\r\n');
    expect(sent).toContain('content-type: application/json\r\ncontent-length: 11\r\n\r\n{"id":"é"}'.replace('é', Buffer.from('é', 'utf8').toString('latin1')));
    expect(sent).toContain('POST /empty HTTP/1.1\r\nhost: 127.0.0.1:' + port + '\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n');
    expect(sent).toContain('GET /vhost HTTP/1.1\r\nhost: tracker.example.com\r\n');
    expect(server.connections).toBe(1);
  });

  it('refuses a header that would smuggle another one in, before anything is sent', async () => {
    const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    const http1 = client();
    const failure = await failureOf(http1.send({ url: `${server.url}/x`, headers: { 'x-id': 'a\r\nx-admin: 1' } }));
    expect(failure.kind).toBe('invalid_request');
    expect((await failureOf(http1.send({ url: `${server.url}/x`, headers: { 'bad name': 'v' } }))).kind).toBe('invalid_request');
    expect((await failureOf(http1.send({ url: `${server.url}/x`, headers: { 'transfer-encoding': 'chunked' } }))).kind).toBe('invalid_request');
    expect(server.received.join('')).toBe('');
  });

  it('https still goes through undici: a refused port and a TLS handshake with a plain-http server fail by name', async () => {
    const port = await closedPort();
    const http1 = client({ timeoutMs: 2000 });
    expect((await failureOf(http1.send({ url: `https://127.0.0.1:${port}/x` }))).kind).toBe('refused');
    const plain = await scriptedServer((_req, res) => res.end('not tls'));
    const tls = await failureOf(http1.send({ url: `${plain.url.replace('http:', 'https:')}/x` }));
    expect(['tls', 'reset', 'network']).toContain(tls.kind);
    expect(plain.received).toHaveLength(0);
  });
});
