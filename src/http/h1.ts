import net from 'node:net';

/**
 * tpb's own HTTP/1.1 client for plain-http origins: a keep-alive pool of `node:net` sockets per
 * origin that writes each request in one write (the request line and the headers, built by the
 * caller) and reads the answer with a small, strict response parser. It exists for speed: a load
 * run sends tens of thousands of requests a second, and undici's dispatch machinery cost about
 * half of tpb's CPU per click. https stays with undici (see client.ts).
 *
 * What the parser does, and what real trackers need of it:
 * - status line `HTTP/1.0` or `HTTP/1.1`, code, optional reason; headers folded to lower-case
 *   names, repeated ones joined with ", " (set-cookie: the first kept); obsolete line folding
 *   joined with a space; lines ending in CRLF or a bare LF; a head split across any number of
 *   TCP packets; at most 16 KiB of head (undici's limit);
 * - 1xx interim answers (100 Continue, 103 Early Hints) skipped; 101 refused (tpb never upgrades);
 * - bodies framed by Transfer-Encoding: chunked (extensions and trailers read and dropped), by
 *   Content-Length (repeated equal values allowed, differing ones refused), or by the end of the
 *   connection; none for HEAD, 204 and 304;
 * - bodies read up to a limit: past it the answer is cut (`truncated`) and the socket closed, so
 *   a tracker streaming megabytes, or forever, does not hold the run;
 * - the connection is reused unless the answer says `Connection: close`, is HTTP/1.0 without
 *   keep-alive, is framed by the close, or sends more than it framed (never trusted again); a
 *   socket the server closed while idle is dropped, and one idle past the server's `Keep-Alive:
 *   timeout` (less a second) or 10 s is not used again.
 *
 * Errors carry a `code`: the socket's own (ECONNREFUSED, ECONNRESET, ENOTFOUND…), TPB_CLOSED for
 * a connection closed before the answer was complete, TPB_BAD_RESPONSE for an answer that is not
 * HTTP/1.x, TPB_HEADERS_TOO_LARGE.
 */

export interface H1Response {
  status: number;
  /** Lower-case names; repeated headers joined with ", " (set-cookie kept as the first). */
  headers: Record<string, string>;
  body: Buffer;
  truncated: boolean;
}

/** One request on its way through a pool. The pool calls exactly one of onResponse / onError, unless the caller cancelled it. */
export interface H1Exchange {
  /** The request line, the headers and the blank line, ASCII/latin1. */
  head: string;
  body: Buffer | undefined;
  /** HEAD: the answer has no body whatever its headers say. */
  headRequest: boolean;
  /** The request said `Connection: close` (or is HEAD): the connection is not reused after it. */
  closeAfter: boolean;
  /** Body bytes kept; past them the answer is cut. */
  limit: number;
  onResponse(response: H1Response): void;
  onError(error: Error & { code?: string }): void;
  /** Set when the answer's head came (its status), for the caller's timeout message. */
  status?: number;
  /** Pool's bookkeeping. */
  conn?: H1Connection | undefined;
  /** Set by cancel(): the pool forgets it. */
  cancelled?: boolean;
}

export const MAX_HEAD_BYTES = 16 * 1024;
const DEFAULT_IDLE_MS = 10_000;

const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_DATA_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const IDLE = 7;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function failure(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Index just past the blank line that ends a head starting at `from`, or -1 when it has not all come. */
function headEnd(buf: Buffer, from: number): number {
  let i = buf.indexOf(10, from);
  while (i !== -1) {
    const next = buf[i + 1];
    if (next === 10) return i + 2;
    if (next === 13) {
      const after = buf[i + 2];
      if (after === 10) return i + 3;
      if (after === undefined) return -1;
    }
    if (next === undefined) return -1;
    i = buf.indexOf(10, i + 1);
  }
  return -1;
}

interface ParsedHead {
  status: number;
  minor: number;
  headers: Record<string, string>;
}

/** Raw header names seen (as sent) → lower-case, checked: a load run parses the same few names again and again. */
const NAMES = new Map<string, string>();

function headerName(raw: string): string {
  let name = NAMES.get(raw);
  if (name === undefined) {
    if (!TOKEN.test(raw)) throw failure(`an invalid header name: ${JSON.stringify(raw.slice(0, 60))}`, 'TPB_BAD_RESPONSE');
    name = raw.toLowerCase();
    if (NAMES.size < 512) NAMES.set(raw, name);
  }
  return name;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Parse a response head (status line and header lines, latin1). Throws TPB_BAD_RESPONSE. */
export function parseHead(text: string): ParsedHead {
  const length = text.length;
  let lineEnd = text.indexOf('\n');
  if (lineEnd === -1) lineEnd = length;
  let stop = lineEnd > 0 && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
  // HTTP/1.x NNN[ reason]
  const minorCode = text.charCodeAt(7);
  const after = text.charCodeAt(12);
  if (
    !text.startsWith('HTTP/1.') ||
    (minorCode !== 48 && minorCode !== 49) ||
    text.charCodeAt(8) !== 32 ||
    !isDigit(text.charCodeAt(9)) ||
    !isDigit(text.charCodeAt(10)) ||
    !isDigit(text.charCodeAt(11)) ||
    (stop > 12 && after !== 32 && after !== 9) ||
    stop < 12
  ) {
    throw failure(`not an HTTP/1.x answer: ${JSON.stringify(text.slice(0, Math.min(stop, 60)))}`, 'TPB_BAD_RESPONSE');
  }
  const status = (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);
  const headers: Record<string, string> = {};
  let lastName: string | undefined;
  while (lineEnd < length) {
    const start = lineEnd + 1;
    lineEnd = text.indexOf('\n', start);
    if (lineEnd === -1) lineEnd = length;
    stop = lineEnd > start && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (stop === start) continue;
    const first = text.charCodeAt(start);
    if (first === 32 || first === 9) {
      // Obsolete line folding: part of the previous header's value.
      if (lastName === undefined) throw failure('an answer whose first header line is a continuation', 'TPB_BAD_RESPONSE');
      const more = trimOws(text, start, stop);
      if (more !== '') headers[lastName] = headers[lastName] === '' ? more : `${headers[lastName]} ${more}`;
      continue;
    }
    const colon = text.indexOf(':', start);
    if (colon === -1 || colon >= stop || colon === start) throw failure(`a header line without a name: ${JSON.stringify(text.slice(start, Math.min(stop, start + 60)))}`, 'TPB_BAD_RESPONSE');
    const name = headerName(text.slice(start, colon));
    const value = trimOws(text, colon + 1, stop);
    if (name === '__proto__') continue;
    const existing = Object.hasOwn(headers, name) ? headers[name] : undefined;
    if (existing === undefined) headers[name] = value;
    else if (name !== 'set-cookie') headers[name] = `${existing}, ${value}`;
    lastName = name === 'set-cookie' && existing !== undefined ? undefined : name;
  }
  return { status, minor: minorCode - 48, headers };
}

/** The text of `line` from `start` to `end`, without the spaces and tabs around it (only those: 0xA0 is data). */
function trimOws(line: string, start: number, end: number): string {
  while (start < end && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start += 1;
  while (end > start && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end -= 1;
  return line.slice(start, end);
}

/** The Content-Length of an answer: repeated equal values are one; anything else unreadable throws. */
function contentLength(value: string): number {
  if (value.length > 0 && value.length < 16) {
    let n = 0;
    let i = 0;
    for (; i < value.length; i += 1) {
      const code = value.charCodeAt(i);
      if (!isDigit(code)) break;
      n = n * 10 + code - 48;
    }
    if (i === value.length) return n;
  }
  let length: number | undefined;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^[0-9]{1,15}$/.test(text)) throw failure(`an unreadable Content-Length: ${JSON.stringify(value.slice(0, 40))}`, 'TPB_BAD_RESPONSE');
    const n = Number(text);
    if (length !== undefined && n !== length) throw failure(`conflicting Content-Length values: ${value.slice(0, 40)}`, 'TPB_BAD_RESPONSE');
    length = n;
  }
  return length!;
}

function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** One socket of a pool and the parser of the answer it is reading. */
export class H1Connection {
  readonly socket: net.Socket;
  exchange: H1Exchange | undefined;
  private state = IDLE;
  private pending: Buffer | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private remaining = 0;
  private sawCr = false;
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = true;
  private lastHint: string | undefined;
  /** performance.now() when it last became idle. */
  idleSince = 0;
  /** How long it may stay idle and still be used (the server's keep-alive hint, less a second). */
  idleLimitMs = DEFAULT_IDLE_MS;
  connected = false;
  closed = false;

  constructor(
    private readonly pool: H1Pool,
    first: H1Exchange,
  ) {
    this.exchange = first;
    first.conn = this;
    this.socket = net.connect({ host: pool.host, port: pool.port, noDelay: true });
    this.socket.setKeepAlive(true, 60_000);
    this.socket.on('connect', () => {
      this.connected = true;
      const exchange = this.exchange;
      if (exchange) this.write(exchange);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (error: Error) => this.fail(error));
    this.socket.on('close', () => this.onClose());
  }

  /** Send an exchange on this (connected, idle) connection. */
  start(exchange: H1Exchange): void {
    this.exchange = exchange;
    exchange.conn = this;
    this.socket.ref();
    this.write(exchange);
  }

  private write(exchange: H1Exchange): void {
    this.state = HEAD;
    this.pending = undefined;
    this.chunks = [];
    this.size = 0;
    this.keepAlive = !exchange.closeAfter;
    if (exchange.body === undefined) this.socket.write(exchange.head, 'latin1');
    else {
      this.socket.cork();
      this.socket.write(exchange.head, 'latin1');
      this.socket.write(exchange.body);
      this.socket.uncork();
    }
  }

  /** End the connection (the caller gave up on its exchange: timeout, interrupt). */
  destroy(): void {
    this.exchange = undefined;
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === undefined || this.state === IDLE) {
      // Bytes nobody asked for: the connection cannot be trusted any more.
      this.destroy();
      return;
    }
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    try {
      this.consume(exchange, buf);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private consume(exchange: H1Exchange, buf: Buffer): void {
    let off = 0;
    const length = buf.length;
    while (off < length) {
      switch (this.state) {
        case HEAD: {
          // Empty lines before a status line are ignored (RFC 9112 §2.2).
          while (off < length && (buf[off] === 13 || buf[off] === 10)) off += 1;
          if (off >= length) return;
          const end = headEnd(buf, off);
          if (end === -1) {
            if (length - off > MAX_HEAD_BYTES) throw failure(`the answer's headers are over ${MAX_HEAD_BYTES} bytes`, 'TPB_HEADERS_TOO_LARGE');
            this.pending = buf.subarray(off);
            return;
          }
          if (end - off > MAX_HEAD_BYTES) throw failure(`the answer's headers are over ${MAX_HEAD_BYTES} bytes`, 'TPB_HEADERS_TOO_LARGE');
          const head = parseHead(buf.toString('latin1', off, end));
          off = end;
          if (head.status < 200) {
            if (head.status === 101) throw failure('the server switched protocols (101), which tpb never asks for', 'TPB_BAD_RESPONSE');
            continue; // 100 Continue, 103 Early Hints: the answer follows.
          }
          this.status = head.status;
          this.headers = head.headers;
          exchange.status = head.status;
          const connection = head.headers.connection;
          if (connection !== 'keep-alive' && (hasToken(connection, 'close') || (head.minor === 0 && !hasToken(connection, 'keep-alive')))) this.keepAlive = false;
          const hint = head.headers['keep-alive'];
          if (hint !== undefined && hint !== this.lastHint) {
            this.lastHint = hint;
            const seconds = /(?:^|[,;\s])timeout\s*=\s*"?(\d+)/i.exec(hint)?.[1];
            if (seconds !== undefined) this.idleLimitMs = Math.min(DEFAULT_IDLE_MS, Math.max(0, Number(seconds) * 1000 - 1000));
          }
          if (exchange.headRequest || head.status === 204 || head.status === 304) {
            this.finish(exchange, false, off < length);
            return;
          }
          const te = head.headers['transfer-encoding'];
          const cl = head.headers['content-length'];
          if (te !== undefined) {
            // Both framings: Transfer-Encoding wins, and the connection is not trusted after.
            if (cl !== undefined) this.keepAlive = false;
            if (/(?:^|,)[ \t]*chunked[ \t]*$/i.test(te)) this.state = CHUNK_SIZE;
            else {
              this.state = UNTIL_CLOSE;
              this.keepAlive = false;
            }
          } else if (cl !== undefined) {
            this.remaining = contentLength(cl);
            if (this.remaining === 0) {
              this.finish(exchange, false, off < length);
              return;
            }
            this.state = LENGTH;
          } else {
            this.state = UNTIL_CLOSE;
            this.keepAlive = false;
          }
          break;
        }
        case LENGTH: {
          const take = Math.min(this.remaining, length - off);
          if (!this.addBody(exchange, buf, off, off + take)) return;
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.finish(exchange, false, off < length);
            return;
          }
          break;
        }
        case CHUNK_SIZE: {
          const lf = buf.indexOf(10, off);
          if (lf === -1) {
            if (length - off > 4096) throw failure('a chunk size line over 4 KiB', 'TPB_BAD_RESPONSE');
            this.pending = buf.subarray(off);
            return;
          }
          let line = buf.toString('latin1', off, lf);
          off = lf + 1;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          const semicolon = line.indexOf(';');
          const hex = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
          if (!/^[0-9A-Fa-f]{1,12}$/.test(hex)) throw failure(`an unreadable chunk size: ${JSON.stringify(line.slice(0, 40))}`, 'TPB_BAD_RESPONSE');
          const size = parseInt(hex, 16);
          if (size === 0) this.state = TRAILERS;
          else {
            this.remaining = size;
            this.state = CHUNK_DATA;
          }
          break;
        }
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, length - off);
          if (!this.addBody(exchange, buf, off, off + take)) return;
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            this.state = CHUNK_DATA_END;
            this.sawCr = false;
          }
          break;
        }
        case CHUNK_DATA_END: {
          const byte = buf[off]!;
          off += 1;
          if (byte === 13 && !this.sawCr) this.sawCr = true;
          else if (byte === 10) this.state = CHUNK_SIZE;
          else throw failure('a chunk not followed by CRLF', 'TPB_BAD_RESPONSE');
          break;
        }
        case TRAILERS: {
          const lf = buf.indexOf(10, off);
          if (lf === -1) {
            if (length - off > MAX_HEAD_BYTES) throw failure(`the answer's trailers are over ${MAX_HEAD_BYTES} bytes`, 'TPB_HEADERS_TOO_LARGE');
            this.pending = buf.subarray(off);
            return;
          }
          const empty = lf === off || (lf === off + 1 && buf[off] === 13);
          off = lf + 1;
          if (empty) {
            this.finish(exchange, false, off < length);
            return;
          }
          break;
        }
        case UNTIL_CLOSE: {
          if (!this.addBody(exchange, buf, off, length)) return;
          off = length;
          break;
        }
        default:
          return;
      }
    }
  }

  /** Keep body bytes up to the exchange's limit; past it, end the exchange cut. False when it ended. */
  private addBody(exchange: H1Exchange, buf: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (n === 0) return true;
    if (this.size + n > exchange.limit) {
      const keep = exchange.limit - this.size;
      if (keep > 0) this.chunks.push(buf.subarray(start, start + keep));
      this.size = exchange.limit;
      this.keepAlive = false;
      this.finish(exchange, true, true);
      return false;
    }
    this.chunks.push(buf.subarray(start, end));
    this.size += n;
    return true;
  }

  /** The answer is complete (or cut): hand it over, and reuse or close the connection. */
  private finish(exchange: H1Exchange, truncated: boolean, extraBytes: boolean): void {
    const chunks = this.chunks;
    const body = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    const response: H1Response = { status: this.status, headers: this.headers, body, truncated };
    this.exchange = undefined;
    exchange.conn = undefined;
    this.state = IDLE;
    this.chunks = [];
    this.pending = undefined;
    if (this.keepAlive && !extraBytes && !this.closed) this.pool.release(this);
    else this.destroy();
    exchange.onResponse(response);
  }

  private onEnd(): void {
    const exchange = this.exchange;
    if (exchange !== undefined && this.state === UNTIL_CLOSE) {
      this.keepAlive = false;
      this.finish(exchange, false, false);
      return;
    }
    this.fail(failure('connection closed before a complete answer', 'TPB_CLOSED'));
  }

  /** The connection failed: its exchange (if any) fails with the error, and it is closed. */
  fail(error: Error): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.state = IDLE;
    if (exchange) exchange.conn = undefined;
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    if (exchange) exchange.onError(error);
  }

  private onClose(): void {
    this.closed = true;
    if (this.exchange !== undefined) this.fail(failure('connection closed before a complete answer', 'TPB_CLOSED'));
    this.pool.remove(this);
  }
}

const EMPTY = Buffer.alloc(0);

/** At most `max` keep-alive connections to one host:port, and the exchanges waiting for one. */
export class H1Pool {
  private readonly conns = new Set<H1Connection>();
  private readonly idle: H1Connection[] = [];
  private readonly queue: H1Exchange[] = [];
  private queueHead = 0;
  private closing: (() => void) | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly max: number,
  ) {}

  /** Send the exchange on an idle connection, a new one, or when one is free. */
  dispatch(exchange: H1Exchange): void {
    const now = performance.now();
    for (let conn = this.idle.pop(); conn !== undefined; conn = this.idle.pop()) {
      if (conn.closed) continue;
      // Idle past what the server promised: it may be closing it right now.
      if (now - conn.idleSince > conn.idleLimitMs) {
        conn.destroy();
        continue;
      }
      conn.start(exchange);
      return;
    }
    if (this.conns.size < this.max) {
      this.conns.add(new H1Connection(this, exchange));
      return;
    }
    this.queue.push(exchange);
  }

  /** The caller gave up on an exchange (its timeout, an interrupt): drop it, ending its connection. */
  cancel(exchange: H1Exchange): void {
    exchange.cancelled = true;
    const conn = exchange.conn;
    exchange.conn = undefined;
    if (conn !== undefined && conn.exchange === exchange) conn.destroy();
  }

  private nextQueued(): H1Exchange | undefined {
    while (this.queueHead < this.queue.length) {
      const exchange = this.queue[this.queueHead]!;
      this.queue[this.queueHead] = undefined as unknown as H1Exchange;
      this.queueHead += 1;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (!exchange.cancelled) return exchange;
    }
    return undefined;
  }

  /** A connection finished its exchange and can be reused. */
  release(conn: H1Connection): void {
    const next = this.nextQueued();
    if (next !== undefined) {
      conn.start(next);
      return;
    }
    if (this.closing) {
      conn.destroy();
      return;
    }
    conn.idleSince = performance.now();
    // An idle socket does not keep the process alive.
    conn.socket.unref();
    this.idle.push(conn);
  }

  /** A connection closed: a waiting exchange gets a new one. */
  remove(conn: H1Connection): void {
    this.conns.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at !== -1) this.idle.splice(at, 1);
    if (!this.closing) {
      const next = this.nextQueued();
      if (next !== undefined) this.conns.add(new H1Connection(this, next));
    }
    if (this.closing && this.conns.size === 0) this.closing();
  }

  /** Close the idle connections now and the busy ones when their exchange ends. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.closing = resolve;
      for (const conn of this.idle.splice(0)) conn.destroy();
      if (this.conns.size === 0) resolve();
    });
  }
}
