/**
 * Parameters a request body carries: a form (`application/x-www-form-urlencoded`, or no content
 * type at all, as many senders do) or a flat JSON object. Trackers read POST postbacks this way;
 * anything else (XML, nested JSON, binary) carries no parameters.
 */
export function bodyParams(body: string, contentType: string | undefined): Array<[string, string]> {
  if (body.trim() === '') return [];
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      const value = JSON.parse(body) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        return Object.entries(value as Record<string, unknown>)
          .filter(([, v]) => v !== null && ['string', 'number', 'boolean'].includes(typeof v))
          .map(([k, v]) => [k, String(v)]);
      }
    } catch {
      // Not JSON after all.
    }
    return [];
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    // A body without a content type that is not form-shaped (plain text) carries nothing.
    if (type === '' && !/^[^=&\s]+=/.test(body)) return [];
    return [...new URLSearchParams(body)];
  }
  return [];
}
