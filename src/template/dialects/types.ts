/**
 * A dialect is what one platform fills when it sends a postback URL: its macro syntax, its macro
 * dictionary (name → meaning) and how it encodes values. The files next to this one hold one
 * platform each, as data only, each citing the documentation pages it was read from. An entry the
 * documentation does not confirm is marked `uncertain`; what could not be sourced is left out.
 */

/** How a platform writes a macro in a URL. */
export type MacroSyntax =
  /** `{name}`: TUNE, Everflow, Keitaro, Voluum, Binom, RedTrack, Affise, Trackier, Adjust, tpb… */
  | 'brace'
  /** `#name#`: CAKE. */
  | 'hash'
  /** `[[name]]`: Prosper202. */
  | 'double-bracket'
  /** `(name)`: AppsFlyer postbacks. */
  | 'paren';

/**
 * What a macro means to `tpb fire --as`: the roles tpb fills from its own flags (`--click-id`,
 * `--payout`…). Everything else is `other` and is filled by `--var name=value`.
 */
export type MacroRole = 'click_id' | 'payout' | 'revenue' | 'txid' | 'status' | 'event' | 'currency' | 'timestamp' | 'unix' | 'other';

export interface MacroEntry {
  /** As written between the delimiters, e.g. `external_id` for `{external_id}`. */
  name: string;
  meaning: string;
  role: MacroRole;
  /** Sub-id slot number, to translate between platforms (`#s2#` ↔ Keitaro `{sub_id_2}`). */
  sub?: number;
  /** Not confirmed by the platform's own documentation (third-party page, example only, inference). */
  uncertain?: boolean;
  /** Index into the dialect's `sources`. */
  source: number;
}

/** A family of macros with a number or an argument: `{sub1}`…`{sub20}`, `{date:format}`. */
export interface MacroFamily {
  /** Regular expression source matched against the whole name (anchored by the engine). */
  pattern: string;
  meaning: string;
  role: MacroRole;
  /** The capture group holding the sub-id slot number, if the family is a sub-id family. */
  subGroup?: number;
  /** A name of the family, for messages and --help. */
  example: string;
  uncertain?: boolean;
  source: number;
}

export interface DialectSource {
  url: string;
  title: string;
}

export interface Dialect {
  /** Stable id, used by --sender and --as. */
  id: string;
  title: string;
  /** Other names a user may type (`hasoffers` for TUNE). */
  aliases: readonly string[];
  syntax: MacroSyntax;
  /** Other syntaxes the platform's documentation also writes its macros in (AppsFlyer: {x} in templates, (x) in its macro list). */
  altSyntaxes?: readonly MacroSyntax[];
  /** Whether the platform matches macro names case-sensitively (Impact: `{SubId1}` ≠ `{subid1}`). */
  caseSensitive: boolean;
  /** Which postback this dictionary describes (who fires it, to whom). */
  sends: string;
  /** The macro(s) that carry the receiver's click id, in order of preference (README, fire). */
  clickIdMacros: readonly string[];
  /** The macro(s) for the payout, in order of preference (README). */
  payoutMacros: readonly string[];
  macros: readonly MacroEntry[];
  families: readonly MacroFamily[];
  /**
   * How the platform encodes a value it fills in. `rfc3986`: percent-encoding of everything but
   * unreserved characters, once (tpb's own). `form`: like rfc3986 but a space becomes `+`
   * (PHP urlencode). `raw`: inserted as it is. `unknown`: not documented; tpb uses rfc3986.
   */
  encoding: { kind: 'rfc3986' | 'form' | 'raw' | 'unknown'; note: string; source?: number };
  sources: readonly DialectSource[];
}
