import type { PresetName } from '../presets/catalog.js';
import type { Random } from './random.js';

const HEX = '0123456789abcdef';
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';
const UPPER36 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function draw(random: Random, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[random.below(alphabet.length)];
  return out;
}

/** A MongoDB-ObjectId-like id (what Affise and RedTrack ids look like): 8 hex of unix seconds + 16 random hex. */
function objectIdLike(random: Random, now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000) >>> 0;
  return seconds.toString(16).padStart(8, '0') + draw(random, HEX, 16);
}

/**
 * Generates a click id in the shape each tracker uses (PRESETS[x].clickIdFormat is the contract;
 * a test checks every generated id against it). `sequence` is the 1-based number of the click,
 * used where the tracker's id is an auto-increment (Prosper202).
 */
export function generateClickId(preset: PresetName, random: Random, sequence: number, now: Date): string {
  switch (preset) {
    case 'generic':
      return draw(random, BASE62, 20);
    case 'tune':
      // Documented examples start with "10" and are 22–30 lowercase hex-like characters.
      return `10${draw(random, HEX, 28)}`;
    case 'everflow':
      return draw(random, HEX, 32);
    case 'voluum':
      // Like c384EFV6JHQODRN70575OK6UG5: a lowercase "c" and 25 upper-case letters and digits.
      return `c${draw(random, UPPER36, 25)}`;
    case 'keitaro':
      return draw(random, BASE36, 17);
    case 'binom':
      return draw(random, BASE36, 14);
    case 'cake':
      // The numeric Request Session ID.
      return `${1 + random.below(9)}${draw(random, '0123456789', 9)}`;
    case 'affise':
    case 'redtrack':
      return objectIdLike(random, now);
    case 'prosper202':
      // Prosper202's click_id is a MySQL auto-increment.
      return String(sequence);
  }
}

/** The tracker's own id for a recorded conversion (the "Conversion ID" / "Unique ID" export columns). */
export function generateConversionId(preset: PresetName, random: Random, sequence: number, now: Date): string {
  switch (preset) {
    case 'affise':
      return objectIdLike(random, now);
    case 'generic':
      return `cv${String(sequence).padStart(8, '0')}`;
    default:
      return String(sequence);
  }
}
