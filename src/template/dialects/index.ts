import type { Dialect } from './types.js';
import { adjust } from './adjust.js';
import { affise } from './affise.js';
import { appsflyer } from './appsflyer.js';
import { bemob } from './bemob.js';
import { binom } from './binom.js';
import { cake } from './cake.js';
import { clickflare } from './clickflare.js';
import { everflow } from './everflow.js';
import { impact } from './impact.js';
import { keitaro } from './keitaro.js';
import { offer18 } from './offer18.js';
import { peerclick } from './peerclick.js';
import { prosper202 } from './prosper202.js';
import { redtrack } from './redtrack.js';
import { tpb } from './tpb.js';
import { trackier } from './trackier.js';
import { tune } from './tune.js';
import { voluum } from './voluum.js';

export type { Dialect, DialectSource, MacroEntry, MacroFamily, MacroRole, MacroSyntax } from './types.js';

/**
 * Every dialect tpb knows, in the order detection prefers on a tie (tpb's own first, then the
 * platforms whose dictionaries are best documented).
 */
export const DIALECTS: readonly Dialect[] = [tpb, keitaro, binom, voluum, redtrack, peerclick, bemob, clickflare, tune, affise, everflow, cake, trackier, offer18, prosper202, impact, appsflyer, adjust];

export { DIALECT_IDS } from './ids.js';

/** The platforms' dialects, without tpb's own (what detection chooses among). */
export const PLATFORM_DIALECTS: readonly Dialect[] = DIALECTS.filter((dialect) => dialect.id !== 'tpb');

/** A dialect by id or alias (case-insensitive), or undefined. */
export function findDialect(name: string): Dialect | undefined {
  const wanted = name.trim().toLowerCase();
  return DIALECTS.find((dialect) => dialect.id === wanted || dialect.aliases.includes(wanted));
}
