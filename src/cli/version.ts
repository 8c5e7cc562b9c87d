import fs from 'node:fs';

/** The package version, for the footer of written reports ("0.0.0" when package.json cannot be read). */
export function toolVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
