/** Only the parameters the statement names (ClickHouse ignores the rest, but they cost a bind). */
export function usedParams(sql: string, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const used: Record<string, unknown> = {};
  for (const match of sql.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*):/g)) {
    const name = match[1]!;
    if (name in params) used[name] = params[name];
  }
  return used;
}
