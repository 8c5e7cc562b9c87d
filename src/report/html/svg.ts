import { escapeHtml, Html } from './page.js';

/**
 * Static SVG charts, drawn when the report is written. Hand-written rather than a charting
 * library: the charts are a few bars and a line, the SVG renders without JavaScript (so the page
 * prints, mails and diffs), needs no CDN, and adds no dependency. Colors come from CSS classes
 * (page.ts), so the charts follow the light/dark scheme. Every mark carries its numbers in data-*
 * attributes and a <title> (the browser's tooltip), which is also what the browser tests read.
 */

const WIDTH = 760;
const HEIGHT = 260;
const MARGIN = { top: 14, right: 14, bottom: 42, left: 52 };

function n(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}

function attrs(data: Readonly<Record<string, string | number>> | undefined): string {
  if (!data) return '';
  return Object.entries(data)
    .map(([name, value]) => ` data-${name}="${escapeHtml(String(value))}"`)
    .join('');
}

/** Round numbers for an axis from 0 (or min) to max: about `count` ticks. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const span = max - min;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
  return ticks;
}

export interface ColumnSegment {
  value: number;
  /** CSS class: "bar" (blue) or "bar bad" (red). */
  cls: string;
  /** Tooltip. */
  title: string;
}

export interface Column {
  label: string;
  segments: readonly ColumnSegment[];
  data?: Readonly<Record<string, string | number>>;
  /** Shade the column's band (immature days). */
  shaded?: boolean;
}

export interface ColumnChartOptions {
  id: string;
  /** What the chart shows, for screen readers. */
  description: string;
  columns: readonly Column[];
  formatValue: (value: number) => string;
  /** Label every nth column on the x axis (auto when absent). */
  labelEvery?: number;
  /** A vertical marker between columns: drawn at the left edge of column `beforeIndex`. */
  marker?: { beforeIndex: number; label: string };
  /** Draw a line through the tops of the columns' first segment instead of bars. */
  line?: boolean;
  /** Lower end of the y axis (default 0). */
  yMin?: number;
  /** Upper end of the y axis (default: the largest column). */
  yMax?: number;
}

/** Stacked columns (or a line with dots) over a category axis. */
export function columnChart(options: ColumnChartOptions): Html {
  const { columns } = options;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const totals = columns.map((column) => column.segments.reduce((sum, segment) => sum + segment.value, 0));
  const yMin = options.yMin ?? 0;
  const dataMax = options.line ? Math.max(0, ...columns.map((column) => column.segments[0]?.value ?? 0)) : Math.max(0, ...totals);
  const yMax = Math.max(options.yMax ?? dataMax, yMin + 1e-9);
  const ticks = niceTicks(yMin, yMax === yMin ? yMin + 1 : yMax);
  const top = Math.max(yMax, ticks[ticks.length - 1] ?? yMax);
  const y = (value: number) => MARGIN.top + plotH - ((Math.max(value, yMin) - yMin) / (top - yMin || 1)) * plotH;
  const band = columns.length === 0 ? plotW : plotW / columns.length;
  const barW = Math.max(1, band * 0.78);
  const out: string[] = [];
  out.push(
    `<svg id="${escapeHtml(options.id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(options.description)}">`,
  );
  out.push(`<title>${escapeHtml(options.description)}</title>`);
  columns.forEach((column, i) => {
    if (column.shaded) {
      out.push(`<rect class="immature" x="${n(MARGIN.left + i * band)}" y="${MARGIN.top}" width="${n(band)}" height="${plotH}"><title>${escapeHtml(column.label)}: immature</title></rect>`);
    }
  });
  for (const tick of ticks) {
    out.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${n(y(tick))}" y2="${n(y(tick))}"></line>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${n(y(tick) + 4)}" text-anchor="end">${escapeHtml(options.formatValue(tick))}</text>`);
  }
  out.push(`<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}"></line>`);
  const every = options.labelEvery ?? Math.max(1, Math.ceil(columns.length / 12));
  const points: string[] = [];
  const lineAt = out.length;
  columns.forEach((column, i) => {
    const x = MARGIN.left + i * band + (band - barW) / 2;
    out.push(`<g class="col"${attrs(column.data)}>`);
    if (options.line) {
      const segment = column.segments[0];
      if (segment) {
        const cx = MARGIN.left + i * band + band / 2;
        points.push(`${n(cx)},${n(y(segment.value))}`);
        out.push(`<circle class="dot" cx="${n(cx)}" cy="${n(y(segment.value))}" r="${columns.length > 60 ? 2 : 3.5}"><title>${escapeHtml(segment.title)}</title></circle>`);
      }
    } else {
      let base = yMin;
      for (const segment of column.segments) {
        if (segment.value <= 0) continue;
        const y0 = y(base);
        const y1 = y(base + segment.value);
        out.push(`<rect class="${escapeHtml(segment.cls)}" x="${n(x)}" y="${n(y1)}" width="${n(barW)}" height="${n(Math.max(0.5, y0 - y1))}"><title>${escapeHtml(segment.title)}</title></rect>`);
        base += segment.value;
      }
    }
    out.push('</g>');
    if (i % every === 0) {
      out.push(`<text x="${n(MARGIN.left + i * band + band / 2)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeHtml(column.label)}</text>`);
    }
  });
  if (options.line && points.length > 1) out.splice(lineAt, 0, `<polyline class="line" points="${points.join(' ')}"></polyline>`);
  if (options.marker) {
    const x = MARGIN.left + options.marker.beforeIndex * band;
    out.push(`<line class="mark" x1="${n(x)}" x2="${n(x)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"></line>`);
    const anchor = x > WIDTH * 0.75 ? 'end' : 'start';
    out.push(`<text class="mark-label" x="${n(x + (anchor === 'end' ? -4 : 4))}" y="${MARGIN.top + 10}" text-anchor="${anchor}">${escapeHtml(options.marker.label)}</text>`);
  }
  out.push('</svg>');
  return new Html(out.join(''));
}
