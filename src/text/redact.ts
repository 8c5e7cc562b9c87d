/**
 * Secrets never reach output, logs or the database. A secret is a query parameter or header whose
 * name is one of the defaults below or was named with --secret.
 */
export const DEFAULT_SECRET_NAMES = [
  'token',
  'security_token',
  'verification_token',
  'api_key',
  'apikey',
  'key',
  'secret',
  'password',
  'authorization',
  'x-api-key',
  'auth_token',
] as const;

export const REDACTED = 'REDACTED';

export class Redactor {
  private readonly names: Set<string>;
  /** Literal secret values (for example from ${ENV} in scenarios) redacted wherever they appear. */
  private readonly values = new Set<string>();

  constructor(extraNames: readonly string[] = []) {
    this.names = new Set([...DEFAULT_SECRET_NAMES, ...extraNames].map((name) => name.toLowerCase()));
  }

  isSecretName(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /** Treat another parameter or header name as secret (a scenario's ${ENV} parameters). */
  addName(name: string): void {
    this.names.add(name.toLowerCase());
  }

  addValue(value: string): void {
    if (value.length >= 4) this.values.add(value);
  }

  /** Redact secret query parameters of a URL (absolute or a template) and any known secret values. */
  url(url: string): string {
    const queryStart = url.indexOf('?');
    let out = url;
    if (queryStart >= 0) {
      const hashStart = url.indexOf('#', queryStart);
      const query = url.slice(queryStart + 1, hashStart >= 0 ? hashStart : undefined);
      const redactedQuery = query
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) return pair;
          const rawName = pair.slice(0, eq);
          let name = rawName;
          try {
            name = decodeURIComponent(rawName.replace(/\+/g, ' '));
          } catch {
            // keep the raw name
          }
          return this.isSecretName(name) && pair.length > eq + 1 ? `${rawName}=${REDACTED}` : pair;
        })
        .join('&');
      out = url.slice(0, queryStart + 1) + redactedQuery + (hashStart >= 0 ? url.slice(hashStart) : '');
    }
    // user:password@host
    out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]+)@/i, (_m, scheme: string) => `${scheme}${REDACTED}@`);
    return this.text(out);
  }

  /** Redact a header value if its name is secret. */
  header(name: string, value: string): string {
    return this.isSecretName(name) ? REDACTED : this.text(value);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, this.header(name, value)]));
  }

  /** Redact known secret values anywhere in free text (bodies, messages). */
  text(text: string): string {
    let out = text;
    for (const value of this.values) {
      out = out.split(value).join(REDACTED);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) out = out.split(encoded).join(REDACTED);
    }
    return out;
  }
}
