/**
 * Text that came from outside (tracker answers, CSV cells and headers, URLs) can carry terminal
 * escape sequences. Everything untrusted goes through here before it reaches a terminal.
 */

// ESC-introduced sequences (CSI, OSC, and two-character escapes), then any other C0/C1 control.
// eslint-disable-next-line no-control-regex
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Strip escape sequences and control characters; keep tabs and newlines only when asked. */
export function sanitizeForDisplay(text: string, options: { keepNewlines?: boolean } = {}): string {
  const stripped = text.replace(ANSI_SEQUENCE, '').replace(CONTROL, '');
  return options.keepNewlines ? stripped : stripped.replace(/[\t\n]/g, ' ');
}

/** Sanitise and cut to `max` characters, marking the cut. */
export function excerpt(text: string, max: number, options: { keepNewlines?: boolean } = {}): string {
  const clean = sanitizeForDisplay(text, options);
  if (clean.length <= max) return clean;
  return `${clean.slice(0, max)}… (${clean.length - max} more characters)`;
}
