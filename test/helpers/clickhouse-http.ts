import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a ClickHouse server's HTTP interface, for the queries the clickhouse engine
 * sends (format JSONEachRow). It is not a mock of the answers: every statement runs in chDB — the
 * same ClickHouse engine a server runs — with the parameters bound by ClickHouse from the exact
 * text the client sent. What it implements of the protocol: POST with the statement in the body
 * (or in `query=` with the data in the body, for INSERT), `param_*`, `session_id` (temporary tables
 * live for one session), basic auth, and errors as ClickHouse writes them (`Code: N. DB::Exception…`
 * with a non-200 status and X-ClickHouse-Exception-Code). URL settings are ignored.
 *
 * Why not a real server: Debian's clickhouse-server here is 18.16 (2018), which has no query
 * parameters, window functions, DateTime64 or ANTI JOIN, all of which the engine's SQL uses.
 */
const require = createRequire(import.meta.url);

interface Session {
  connection: unknown;
  query(sql: string, format?: string): string;
  cleanup(): void;
}

export interface ClickHouseStandIn {
  url: string;
  /** Run SQL directly (to create the tables the tests read). */
  sql(statement: string): string;
  /** Statements received, in order. */
  received: string[];
  /** Answer the next statement matching this with a ClickHouse error (once), as a server failing mid-run. */
  failNext: { match: RegExp; code: number; message: string } | undefined;
  close(): Promise<void>;
}

export async function startClickHouseStandIn(options: { user: string; password: string }): Promise<ClickHouseStandIn> {
  const chdb = require('chdb') as { Session: new () => Session };
  const native = require(path.join(path.dirname(require.resolve('chdb')), 'dist/loader.js')).loadNative() as {
    QueryWithParamsConnection(connection: unknown, sql: string, format: string, params: Record<string, string>): string;
  };
  const session = new chdb.Session();
  const standIn: Pick<ClickHouseStandIn, 'failNext'> = { failNext: undefined };
  let currentSession: string | null = null;
  const received: string[] = [];

  const dropTemporaryTables = () => {
    const names = session.query('SELECT name FROM system.tables WHERE is_temporary', 'JSONEachRow').split('\n').filter(Boolean);
    for (const line of names) session.query(`DROP TEMPORARY TABLE IF EXISTS \`${(JSON.parse(line) as { name: string }).name}\``, 'CSV');
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const fail = (status: number, code: number, message: string) => {
        response.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) });
        response.end(`Code: ${code}. DB::Exception: ${message} (version 26.7.2.1 (official build))\n`);
      };
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const auth = request.headers.authorization ?? '';
      const [user, password] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':') : [request.headers['x-clickhouse-user'], request.headers['x-clickhouse-key']];
      if (user !== options.user || password !== options.password) {
        fail(403, 516, `${String(user ?? 'default')}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`);
        return;
      }
      const sessionId = url.searchParams.get('session_id');
      if (sessionId !== currentSession) {
        dropTemporaryTables();
        currentSession = sessionId;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const inUrl = url.searchParams.get('query');
      const statement = inUrl ? `${inUrl}\n${body}` : body;
      received.push(statement);
      const fault = standIn.failNext;
      if (fault && fault.match.test(statement)) {
        standIn.failNext = undefined;
        fail(500, fault.code, fault.message);
        return;
      }
      const params: Record<string, string> = {};
      for (const [key, value] of url.searchParams) if (key.startsWith('param_')) params[key.slice(6)] = value;
      const format = /\bFORMAT\s+JSONEachRow\s*$/i.test(statement.trim()) ? 'JSONEachRow' : 'CSV';
      const sql = format === 'JSONEachRow' ? statement.trim().replace(/\bFORMAT\s+JSONEachRow\s*$/i, '') : statement;
      try {
        const out = native.QueryWithParamsConnection(session.connection, sql, format, params);
        response.writeHead(200, {
          'Content-Type': format === 'JSONEachRow' ? 'application/x-ndjson; charset=UTF-8' : 'text/plain; charset=UTF-8',
          'X-ClickHouse-Format': format,
          'X-ClickHouse-Summary': '{"read_rows":"0","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0"}',
        });
        response.end(out);
      } catch (error) {
        const message = (error as Error).message;
        const code = Number(/Code: (\d+)/.exec(message)?.[1] ?? 1002);
        fail(code === 60 ? 404 : 500, code, message.replace(/^.*?DB::Exception: /s, '').split('\n')[0]!);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(standIn, {
    url: `http://127.0.0.1:${port}`,
    received,
    sql: (statement: string) => session.query(statement, 'JSONEachRow'),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      session.cleanup();
    },
  });
}
