/** Reading a URL's query as a tracker does. */

export interface QueryParam {
  name: string;
  value: string;
}

function decodeComponent(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The query parameters of a URL, percent-decoded. `+` is kept as written: a tracker that put a
 * `+` in an id means that character, and it has to go back to the tracker the same way.
 */
export function queryParams(url: string): QueryParam[] {
  const withoutFragment = url.split('#', 1)[0]!;
  const queryStart = withoutFragment.indexOf('?');
  if (queryStart < 0) return [];
  return withoutFragment
    .slice(queryStart + 1)
    .split('&')
    .filter((pair) => pair.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? { name: decodeComponent(pair), value: '' } : { name: decodeComponent(pair.slice(0, eq)), value: decodeComponent(pair.slice(eq + 1)) };
    });
}
