/**
 * How the ClickHouse engines talk to ClickHouse: chDB in this process, or a server over HTTP.
 * Both take the same SQL with `{name:Type}` parameters bound by ClickHouse itself (never spliced).
 * The calls are synchronous because reconcile() is: chDB runs in-process, and the HTTP client
 * runs in a worker thread this thread waits for.
 */
export interface ClickHouseRunner {
  readonly name: 'chdb' | 'clickhouse';
  /** Rows of a SELECT (JSONEachRow: Int64 arrives as text, NULL as null). */
  rows<T = Record<string, unknown>>(sql: string, params?: Readonly<Record<string, unknown>>): T[];
  /** A statement without a result (CREATE, DROP, INSERT … SELECT). */
  exec(sql: string, params?: Readonly<Record<string, unknown>>): void;
  /** `CREATE TEMPORARY TABLE` on a server session; chDB's session is private, so a plain table. */
  readonly scratchTable: string;
  /**
   * The big scratch tables (every click and conversion in scope, and the classification) go to
   * disk as MergeTree instead of Memory: chDB's session lives in a temp directory, and 100,000,000
   * clicks do not fit in memory. A server's temporary tables stay in Memory.
   */
  readonly diskScratch?: boolean;
  /** Put strings into a one-column scratch table (candidates for the hint lookups). */
  insertStrings(table: string, values: readonly string[]): void;
  close(): void;
}

/** A ClickHouse string literal (for --emit-sql, which prints the SQL with the scope bound). */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Bind `{name:Type}` placeholders as literals, for printing; the engines bind server-side. */
export function bindForDisplay(sql: string, params: Readonly<Record<string, unknown>>): string {
  return sql.replace(/\{([A-Za-z_][A-Za-z0-9_]*):([^}]+)\}/g, (whole, name: string) => {
    if (!(name in params)) return whole;
    return literal(params[name]);
  });
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return sqlString(String(value));
}
