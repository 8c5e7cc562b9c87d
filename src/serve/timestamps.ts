/**
 * The instant the mock records: UTC ISO 8601 with milliseconds, cut to the whole second, so every
 * export timestamp style — even those without milliseconds — reads back to exactly this instant.
 * (Export formatting itself is ingest's formatTimestamp: one definition of each style, both ways.)
 */
export function recordedInstant(now: Date): string {
  return new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString();
}
