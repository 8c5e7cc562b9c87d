import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/**
 * Bytes in, text out: a file or a stream (stdin), gzip recognised by its magic bytes (not only
 * by name), the encoding by its BOM (UTF-8, UTF-16 LE/BE) or by inspection (UTF-8, else
 * Windows-1252), and anything that is not text refused before a row is read.
 */

export type InputSpec =
  | { kind: 'file'; path: string }
  | { kind: 'stream'; stream: AsyncIterable<Uint8Array | string> };

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface InputInfo {
  encoding: TextEncoding;
  bom: boolean;
  compressed: boolean;
}

/** The input is not a text CSV at all (exit 2). */
export class NotCsvError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

// Files are read 256 KiB at a time (fewer reads) and handed on in 64 KiB pieces: the decoded text
// of a piece then stays a regular (young) heap object, while 1 MiB strings land in V8's
// large-object space and cost a full collection each to free.
const READ_CHUNK = 256 * 1024;
const PIECE = 64 * 1024;
const SNIFF_BYTES = 64 * 1024;

export interface ByteCounter {
  /** Raw bytes read so far (compressed bytes for .gz), for progress against the file size. */
  bytes: number;
}

async function* readFileBytes(file: string): AsyncGenerator<Uint8Array> {
  const handle = await fs.promises.open(file, 'r');
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) return;
      for (let offset = 0; offset < bytesRead; offset += PIECE) yield buffer.subarray(offset, Math.min(offset + PIECE, bytesRead));
    }
  } finally {
    await handle.close();
  }
}

async function* readStreamBytes(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

/** Raw bytes, counted and (optionally) hashed as they pass. */
async function* countedBytes(spec: InputSpec, counter: ByteCounter, hash: Hash | undefined): AsyncGenerator<Uint8Array> {
  const source = spec.kind === 'file' ? readFileBytes(spec.path) : readStreamBytes(spec.stream);
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    hash?.update(chunk);
    yield chunk;
  }
}

/** Gather at least `size` bytes (or everything) from the front of a byte stream. */
async function peek(iterator: AsyncIterator<Uint8Array>, size: number): Promise<{ head: Buffer; done: boolean }> {
  const parts: Uint8Array[] = [];
  let length = 0;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) return { head: Buffer.concat(parts), done: true };
    parts.push(next.value);
    length += next.value.length;
  }
  return { head: Buffer.concat(parts), done: false };
}

async function* prepend(head: Buffer, rest: AsyncIterator<Uint8Array>, done: boolean): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  if (done) return;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const inflate = createGunzip({ chunkSize: PIECE });
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        if (!inflate.write(chunk)) await new Promise<void>((resolve) => inflate.once('drain', resolve));
      }
      inflate.end();
    } catch (error) {
      inflate.destroy(error as Error);
    }
  })();
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new NotCsvError(`not a valid gzip stream (${(error as Error).message})`, 'the file looks compressed but is damaged or truncated');
    throw error;
  } finally {
    await pump;
  }
}

function looksLikeUtf16WithoutBom(sample: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const pairs = Math.floor(Math.min(sample.length, 4096) / 2);
  if (pairs < 8) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < pairs; i += 1) {
    if (sample[2 * i] === 0) evenZero += 1;
    if (sample[2 * i + 1] === 0) oddZero += 1;
  }
  if (oddZero > pairs * 0.9 && evenZero < pairs * 0.1) return 'utf-16le';
  if (evenZero > pairs * 0.9 && oddZero < pairs * 0.1) return 'utf-16be';
  return undefined;
}

function isValidUtf8(sample: Buffer, complete: boolean): boolean {
  let bytes = sample;
  if (!complete) {
    // Drop a multi-byte sequence cut by the sample's end.
    let cut = bytes.length;
    for (let back = 1; back <= 3 && back <= bytes.length; back += 1) {
      const byte = bytes[bytes.length - back]!;
      if ((byte & 0xc0) === 0x80) continue;
      if (byte >= 0xc0) cut = bytes.length - back;
      break;
    }
    bytes = bytes.subarray(0, cut);
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * What no field of a real export holds: C0 controls other than tab and line breaks, DEL, C1
 * controls (U+009B is an 8-bit CSI), and U+FFFD — what invalid UTF-8 decodes to. The first 64 KiB
 * are sniffed whole (binaryReason); after that every text chunk is tested, and a row whose field
 * holds one is rejected with its line (fieldControlProblem), never stored.
 */
// eslint-disable-next-line no-control-regex
export const FIELD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/;

/** Why a field cannot be stored, or undefined when it can. */
export function fieldControlProblem(field: string): string | undefined {
  const match = FIELD_CONTROL.exec(field);
  if (!match) return undefined;
  if (match[0] === '\ufffd') return 'a cell holds U+FFFD: the file is not valid UTF-8 here (or holds a replacement character from an earlier conversion); re-export it as UTF-8';
  return `a cell holds the control character U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The most columns tpb reads: no export has more, and a record of a million fields exhausts memory. */
export const MAX_COLUMNS = 1000;

/** The first line of the text has more than MAX_COLUMNS fields for a likely delimiter. */
function columnsReason(text: string): string | undefined {
  const end = text.search(/[\r\n]/);
  const line = end < 0 ? text : text.slice(0, end);
  for (const delimiter of [',', ';', '\t', '|']) {
    let count = 1;
    for (let at = line.indexOf(delimiter); at >= 0 && count <= MAX_COLUMNS; at = line.indexOf(delimiter, at + 1)) count += 1;
    if (count > MAX_COLUMNS) return `its header has more than ${MAX_COLUMNS.toLocaleString('en-US')} ${delimiter === '\t' ? 'tab' : `"${delimiter}"`}-separated columns${end < 0 ? ' in its first 64 KiB' : ''}`;
  }
  return undefined;
}

/** Control characters other than tab, line breaks and form feed are not in any real export. */
function binaryReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'it contains NUL bytes (a binary file?)';
  let controls = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) controls += 1;
  }
  if (controls > Math.max(2, text.length * 0.001)) return `${controls} control characters in its first ${text.length} characters (a binary file?)`;
  return undefined;
}

function magicReason(head: Buffer): { message: string; hint?: string } | undefined {
  const starts = (...bytes: number[]) => bytes.every((byte, i) => head[i] === byte);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return { message: 'it is a ZIP archive (an .xlsx workbook?)', hint: 'save the sheet as CSV (UTF-8) and ingest that' };
  if (starts(0xd0, 0xcf, 0x11, 0xe0)) return { message: 'it is an old Excel/OLE document (.xls)', hint: 'save the sheet as CSV (UTF-8) and ingest that' };
  if (starts(0x25, 0x50, 0x44, 0x46)) return { message: 'it is a PDF' };
  if (starts(0x53, 0x51, 0x4c, 0x69, 0x74, 0x65)) return { message: 'it is an SQLite database' };
  if (starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a)) return { message: 'it is bzip2/xz-compressed', hint: 'decompress it first (only gzip is read directly)' };
  return undefined;
}

function decoderFor(encoding: TextEncoding): (chunk: Uint8Array | undefined) => string {
  if (encoding === 'utf-8' || encoding === 'utf-16le') {
    const decoder = new StringDecoder(encoding === 'utf-8' ? 'utf8' : 'utf16le');
    return (chunk) => (chunk === undefined ? decoder.end() : decoder.write(chunk as Buffer));
  }
  const decoder = new TextDecoder(encoding);
  return (chunk) => (chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true }));
}

export interface OpenedText {
  info: InputInfo;
  /** Decoded text chunks, BOM removed. */
  chunks: AsyncGenerator<string>;
}

/**
 * Open an input as text. Throws NotCsvError when it is empty, binary, or another known format.
 * `counter` follows the raw bytes read; `hash` (optional) sees every raw byte.
 */
export async function openText(spec: InputSpec, counter: ByteCounter, hash?: Hash): Promise<OpenedText> {
  let raw: AsyncIterator<Uint8Array> = countedBytes(spec, counter, hash)[Symbol.asyncIterator]();
  let { head, done } = await peek(raw, 4);
  let compressed = false;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    compressed = true;
    raw = gunzip(prepend(head, raw, done))[Symbol.asyncIterator]();
    ({ head, done } = await peek(raw, 4));
  }
  ({ head, done } = done ? { head, done } : await (async () => {
    const more = await peek(raw, SNIFF_BYTES - head.length);
    return { head: Buffer.concat([head, more.head]), done: more.done };
  })());
  if (head.length === 0) throw new NotCsvError(compressed ? 'it decompresses to nothing' : 'it is empty');
  const magic = magicReason(head);
  if (magic) throw new NotCsvError(magic.message, magic.hint);

  let encoding: TextEncoding;
  let bom = true;
  let skip = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    encoding = 'utf-8';
    skip = 3;
  } else if (head[0] === 0xff && head[1] === 0xfe) {
    encoding = 'utf-16le';
    skip = 2;
  } else if (head[0] === 0xfe && head[1] === 0xff) {
    encoding = 'utf-16be';
    skip = 2;
  } else {
    bom = false;
    const utf16 = looksLikeUtf16WithoutBom(head);
    if (utf16) encoding = utf16;
    else encoding = isValidUtf8(head, done) ? 'utf-8' : 'windows-1252';
  }

  // UTF-16 BE: swap to LE on even byte boundaries, carrying an odd byte over.
  let carry: Buffer | undefined;
  const swap = (chunk: Uint8Array): Buffer => {
    let buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (carry) {
      buffer = Buffer.concat([carry, buffer]);
      carry = undefined;
    }
    if (buffer.length % 2 === 1) {
      carry = Buffer.from(buffer.subarray(buffer.length - 1));
      buffer = buffer.subarray(0, buffer.length - 1);
    }
    return Buffer.from(buffer).swap16();
  };
  const decode = decoderFor(encoding === 'utf-16be' ? 'utf-16le' : encoding);
  const toText = (chunk: Uint8Array) => decode(encoding === 'utf-16be' ? swap(chunk) : chunk);

  const firstText = toText(head.subarray(skip));
  const reason = binaryReason(firstText.slice(0, SNIFF_BYTES));
  if (reason) throw new NotCsvError(reason);
  const columns = columnsReason(firstText);
  if (columns) throw new NotCsvError(columns, `tpb reads at most ${MAX_COLUMNS.toLocaleString('en-US')} columns; is it a CSV export?`);
  if (firstText.trim() === '' && done) throw new NotCsvError('it holds no text (only whitespace)');

  async function* chunks(): AsyncGenerator<string> {
    if (firstText.length > 0) yield firstText;
    if (!done) {
      for (;;) {
        const next = await raw.next();
        if (next.done) break;
        const text = toText(next.value);
        if (text.length > 0) yield text;
      }
    }
    const tail = decode(undefined);
    if (tail.length > 0) yield tail;
  }
  return { info: { encoding, bom, compressed }, chunks: chunks() };
}

/** sha256 of a file's bytes, read once before the import (cheap: ~2 GB/s with SHA extensions). */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK); // one buffer, reused: update() copies
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
