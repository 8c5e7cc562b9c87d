/**
 * The instant the mock records: UTC ISO 8601 with milliseconds, cut to the whole second, so every
 * export timestamp style — even those without milliseconds — reads back to exactly this instant.
 * (Export formatting itself is ingest's formatTimestamp: one definition of each style, both ways.)
 */
export function recordedInstant(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  // A busy mock records thousands of clicks a second: the text is made once a second.
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString();
  }
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';
