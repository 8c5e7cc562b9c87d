import type { TimestampStyle } from '../presets/exports.js';

/**
 * Writes a UTC instant the way a tracker's export does (EXPORT_FORMATS[preset].timestampStyle).
 * The mock records times to the whole second, so every style — even those without milliseconds —
 * reads back to exactly the recorded instant.
 */
export function formatExportTimestamp(iso: string, style: TimestampStyle): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`not an ISO timestamp: ${iso}`);
  const two = (n: number) => String(n).padStart(2, '0');
  const y = date.getUTCFullYear();
  const mo = two(date.getUTCMonth() + 1);
  const d = two(date.getUTCDate());
  const h = date.getUTCHours();
  const mi = two(date.getUTCMinutes());
  const s = two(date.getUTCSeconds());
  switch (style) {
    case 'iso':
      return `${y}-${mo}-${d}T${two(h)}:${mi}:${s}Z`;
    case 'ymd_hms':
      return `${y}-${mo}-${d} ${two(h)}:${mi}:${s}`;
    case 'unix_s':
      return String(Math.floor(date.getTime() / 1000));
    case 'unix_ms':
      return String(date.getTime());
    case 'mdy_hms_ampm': {
      const hour12 = h % 12 === 0 ? 12 : h % 12;
      return `${mo}/${d}/${y} ${two(hour12)}:${mi}:${s} ${h < 12 ? 'AM' : 'PM'}`;
    }
  }
}

/** The instant the mock records: UTC ISO 8601 with milliseconds, cut to the whole second. */
export function recordedInstant(now: Date): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
}
