import { UsageError } from '../errors.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { MACRO_PATTERN } from '../template/macros.js';

/**
 * A preset's postback template made concrete for one tracker: `{base}` becomes the tracker's base
 * URL (`--base https://t.example.com/abc123` keeps its path: Keitaro's postback key lives there),
 * and optional parameters whose only content is a macro nobody supplied (`&payout={payout}` when
 * no --payout was given) are dropped rather than sent empty. Parameters the tracker requires stay,
 * so a missing value there is still an unresolved-macro error.
 */
export function presetPostbackTemplate(preset: PresetName, base: string, supplied: ReadonlySet<string>): string {
  const info = PRESETS[preset];
  const trimmedBase = base.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/?#\s]+/i.test(trimmedBase)) {
    throw new UsageError(`--base must be an http(s) URL, got "${base}"`, { hint: `for example --base https://tracker.example.com` });
  }
  if (trimmedBase.includes('?')) {
    throw new UsageError('--base must not have a query string', { hint: `the ${preset} preset adds its own: ${info.postbackTemplate}` });
  }
  const template = info.postbackTemplate.replace('{base}', trimmedBase);
  const queryStart = template.indexOf('?');
  if (queryStart < 0) return template;
  const required = new Set(info.requiredParams);
  const kept = template
    .slice(queryStart + 1)
    .split('&')
    .filter((pair) => {
      const [name = '', value = ''] = pair.split('=', 2);
      if (required.has(name)) return true;
      const macros = [...value.matchAll(MACRO_PATTERN)];
      const onlyMacro = macros.length === 1 && macros[0]![0] === value;
      return !onlyMacro || supplied.has(macros[0]![1]!);
    });
  return `${template.slice(0, queryStart)}?${kept.join('&')}`;
}

/**
 * Keitaro's postback key: the path segment before `/postback` in a Keitaro postback URL
 * (`https://t.example.com/<key>/postback?subid=…`), or the first path segment when there is no
 * `postback` segment. It is a secret: anyone who has it can post conversions. Returned as written
 * and percent-decoded (both forms can reappear), without macros.
 */
export function keitaroPostbackKey(url: string): string[] {
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url.trim())?.[1] ?? '';
  const segments = path.split('/').filter((segment) => segment !== '');
  const at = segments.findIndex((segment) => segment.toLowerCase() === 'postback');
  const key = at > 0 ? segments[at - 1] : at < 0 ? segments[0] : undefined;
  if (key === undefined || key === '' || key.includes('{')) return [];
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // keep it as written
  }
  return [...new Set([key, decoded])];
}
