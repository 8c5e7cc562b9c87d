import crypto from 'node:crypto';
import { sanitizeForDisplay } from '../../text/sanitize.js';

/**
 * The shell of tpb's self-contained HTML reports: one file, no request to anything (a Content
 * Security Policy of `default-src 'none'` makes that a rule the browser enforces, not a promise),
 * inline CSS with a light and a dark scheme from the system setting, and one small inline script
 * that only sorts and filters tables. Charts are static SVG drawn at report time (./svg.ts), so the
 * page reads the same with JavaScript off, prints, mails and diffs.
 *
 * Everything from the data goes through `escapeHtml`; markup built here is wrapped in `Html` so a
 * string can never become markup by accident.
 */

/** Markup we built ourselves. Plain strings are always escaped. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Content = Html | string | number | null | undefined | false | ReadonlyArray<Content>;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Text for an element or an attribute value: markup characters become entities, terminal escapes
 * and control characters are dropped (they mean nothing in a page and hide text).
 */
export function escapeHtml(text: string): string {
  return sanitizeForDisplay(text, { keepNewlines: true }).replace(/[&<>"'`]/g, (char) => ESCAPES[char]!);
}

/** Render content: Html as is, strings escaped, arrays joined, null/undefined/false dropped. */
export function render(content: Content): string {
  if (content === null || content === undefined || content === false) return '';
  if (content instanceof Html) return content.value;
  if (Array.isArray(content)) return (content as ReadonlyArray<Content>).map(render).join('');
  return escapeHtml(String(content));
}

/** A tagged template: interpolated values are escaped unless they are Html. */
export function html(strings: TemplateStringsArray, ...values: Content[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

export function raw(markup: string): Html {
  return new Html(markup);
}

/** "12,345" */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "97.12 %" from 0.9712 */
export function formatPercent(rate: number, digits = 2): string {
  return `${(rate * 100).toFixed(digits)} %`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6570;--line:#d8dee4;--panel:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--accent:#0969da;--bar:#0969da;--bar2:#cf222e;--immature:#d4a72c33;--grid:#d8dee4}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--panel:#161b22;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--accent:#4493f8;--bar:#4493f8;--bar2:#f85149;--immature:#d2992233;--grid:#30363d}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.45rem;margin:.2em 0 .1em}h2{font-size:1.15rem;margin:1.6em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1rem;margin:1.2em 0 .4em}
p{margin:.4em 0}.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}
.verdict{border:1px solid var(--line);border-left:6px solid var(--muted);background:var(--panel);border-radius:6px;padding:12px 16px;margin:12px 0}
.verdict.v-ok{border-left-color:var(--ok)}.verdict.v-bad{border-left-color:var(--bad)}.verdict.v-warn{border-left-color:var(--warn)}
.verdict .headline{font-size:1.2rem;font-weight:600;color:var(--fg)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:var(--panel)}.card .n{font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}.card .l{color:var(--muted);font-size:.85rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--panel);position:sticky;top:0;font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right;white-space:nowrap}td.m{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;white-space:nowrap}td sup{color:var(--muted)}ol.notes{font-size:.9em;color:var(--muted);margin:4px 0 6px;padding-left:1.6em}
tr:last-child td{border-bottom:none}
table.sortable th{cursor:pointer;user-select:none}table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
.filter{margin:6px 0;padding:5px 8px;width:min(100%,320px);border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
.chart{margin:8px 0;border:1px solid var(--line);border-radius:6px;padding:8px;background:var(--panel)}
.chart svg{display:block;width:100%;height:auto;max-height:340px}
.chart text{fill:var(--muted);font:11px system-ui,sans-serif}
.chart .axis{stroke:var(--line)}.chart .grid{stroke:var(--grid);stroke-dasharray:2 3}
.chart .bar{fill:var(--bar)}.chart .bar.bad{fill:var(--bar2)}.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
.chart .dot{fill:var(--accent)}.chart .immature{fill:var(--immature)}.chart .mark{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}.chart .mark-label{fill:var(--bad)}
.legend{font-size:.85rem;color:var(--muted);margin:2px 0 0}
.chart svg.swatch,.swatch{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin:0 .3em 0 .6em}.legend .bar{fill:var(--bar)}.legend .bar.bad{fill:var(--bar2)}
.hbar{display:flex;align-items:center;gap:8px}.hbar .track{flex:1;height:.8em;background:var(--line);border-radius:3px;overflow:hidden;min-width:60px;display:block}.hbar svg{display:block;width:100%;height:100%}.hbar rect{fill:var(--bar2)}
details{margin:6px 0}summary{cursor:pointer}
.pill{display:inline-block;padding:0 6px;border-radius:10px;font-size:.8rem;border:1px solid var(--line)}
.pill.passed{color:var(--ok);border-color:var(--ok)}.pill.failed,.pill.error{color:var(--bad);border-color:var(--bad)}.pill.skipped{color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:8px;margin:4px 0;font-size:.85em}
footer{margin:2em 0 1em;color:var(--muted);font-size:.85rem}
@media (max-width:600px){main{padding:10px}body{font-size:14px}th,td{padding:4px 6px}.h{display:none}}
@media print{.filter{display:none}.scroll{overflow:visible;border:none}th{position:static}details{display:block}a{color:inherit}}
`;

/**
 * Sorting (click a header; numbers by their data-v value) and filtering (a text box above a table
 * with data-filter). Nothing else: the page is complete without it.
 */
const SCRIPT = `
(function(){
  function key(cell){var v=cell.getAttribute('data-v');if(v!==null&&v!==''&&!isNaN(+v))return +v;var t=(cell.textContent||'').trim();if(cell.classList.contains('n')){var x=parseFloat(t.replace(/,/g,''));if(!isNaN(x))return x;}return t.toLowerCase();}
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads=table.tHead?table.tHead.rows[0].cells:[];
    Array.prototype.forEach.call(heads,function(th,index){
      th.tabIndex=0;
      function sort(){
        var body=table.tBodies[0];if(!body)return;
        var dir=th.getAttribute('aria-sort')==='descending'?'ascending':'descending';
        Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',dir);
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){var x=key(a.cells[index]),y=key(b.cells[index]);var r=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));return dir==='ascending'?r:-r;});
        rows.forEach(function(row){body.appendChild(row);});
      }
      th.addEventListener('click',sort);
      th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});
    });
  });
  document.querySelectorAll('input[data-filter]').forEach(function(input){
    var table=document.getElementById(input.getAttribute('data-filter'));if(!table)return;
    input.hidden=false;
    input.addEventListener('input',function(){
      var q=input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows,function(row){var text=row.textContent||'';var n=row.getAttribute('data-note');if(n){var note=document.getElementById(n);if(note)text+=' '+note.textContent;}row.hidden=q!==''&&text.toLowerCase().indexOf(q)<0;});
    });
  });
})();
`;

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('base64');
}

export interface PageOptions {
  title: string;
  /** The page body: everything inside <main>. */
  body: Html;
  /** One line at the bottom (tool version, when generated). */
  footer?: Content;
}

/**
 * A complete HTML document. The CSP allows only this page's own style and script (by hash) and
 * images from data: URIs, so neither an id in the data nor a stray URL can make it fetch anything.
 */
export function renderPage(options: PageOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src 'sha256-${sha256(CSS)}'`,
    `script-src 'sha256-${sha256(SCRIPT)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return (
    '<!doctype html>\n' +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">\n` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<meta name="color-scheme" content="light dark">\n' +
    '<meta name="referrer" content="no-referrer">\n' +
    `<title>${escapeHtml(options.title)}</title>\n` +
    `<style>${CSS}</style>\n</head>\n<body>\n<main>\n${options.body.value}\n` +
    (options.footer ? `<footer>${render(options.footer)}</footer>\n` : '') +
    `</main>\n<script>${SCRIPT}</script>\n</body>\n</html>\n`
  );
}

export interface Column<Row> {
  label: string;
  /** The cell's content. */
  cell: (row: Row) => Content;
  /** Sort key, written as data-v when the cell's text does not sort as its number (durations, rates). */
  sortValue?: (row: Row) => number | null;
  /** Right-aligned; sorts by the number its text starts with. */
  numeric?: boolean;
  /** Monospace (ids, file:line). */
  mono?: boolean;
  /** Hidden on narrow screens. */
  narrowHidden?: boolean;
}

let tableCounter = 0;

/** A sortable table (and a filter box when `filter` is set); `id` names it for the filter and tests. */
export function dataTable<Row>(
  rows: readonly Row[],
  columns: ReadonlyArray<Column<Row>>,
  options: { id?: string; filter?: boolean; caption?: string; rowNote?: (row: Row) => string | null } = {},
): Html {
  tableCounter += 1;
  const id = options.id ?? `t${tableCounter}`;
  // Short class names: a report can hold thousands of rows (n: numeric, h: hidden on phones, m: monospace).
  const classes = columns.map((column) => [column.numeric ? 'n' : '', column.narrowHidden ? 'h' : '', column.mono ? 'm' : ''].filter(Boolean).join(' '));
  const head = columns.map((column, i) => html`<th scope="col"${raw(classes[i] ? ` class="${classes[i]}"` : '')}>${column.label}</th>`);
  const body = rows.map((row) => {
    const note = options.rowNote?.(row) ?? null;
    const cells = columns.map((column, i) => {
      const value = column.sortValue?.(row);
      const attributes = `${classes[i] ? ` class="${classes[i]}"` : ''}${value !== undefined && value !== null ? ` data-v="${value}"` : ''}`;
      return `<td${attributes}>${render(column.cell(row))}</td>`;
    });
    return raw(`<tr${note ? ` data-note="${escapeHtml(note)}"` : ''}>${cells.join('')}</tr>\n`);
  });
  return html`${options.filter ? html`<input class="filter" type="search" placeholder="Filter rows…" aria-label="Filter ${options.caption ?? 'rows'}" data-filter="${id}" hidden>` : ''}<div class="scroll"><table class="sortable" id="${id}">${options.caption ? html`<caption hidden>${options.caption}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>\n${body}</tbody></table></div>`;
}

/** An inline horizontal bar for a share (0..1), with the number beside it. */
export function shareBar(share: number, label: Content): Html {
  const width = Math.max(0, Math.min(100, share * 100));
  return html`<span class="hbar"><span class="track"><svg viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="100%" aria-hidden="true"><rect x="0" y="0" width="${width.toFixed(2)}" height="10"></rect></svg></span><span>${label}</span></span>`;
}
