import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive, no redirects followed): what a tracker answered. */
export function request(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', agent: false, headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Click and return the click id from the Location header's `param`. */
export async function click(url: string, param: string, headers: Record<string, string> = {}): Promise<string> {
  const result = await request(url, { headers });
  if (result.status !== 302) throw new Error(`click answered ${result.status}: ${result.body}`);
  const id = new URL(result.headers.location!).searchParams.get(param);
  if (id === null) throw new Error(`no ${param} in ${result.headers.location}`);
  return id;
}

/** Fill a postback template's {macros}; missing ones become empty. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(values[name] ?? ''));
}
