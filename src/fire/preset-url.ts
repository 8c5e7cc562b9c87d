import { UsageError } from '../errors.js';
import { PRESETS, type PresetName } from '../presets/catalog.js';
import { MACRO_PATTERN } from './template.js';

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
