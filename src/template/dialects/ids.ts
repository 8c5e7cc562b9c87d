/**
 * The dialect ids, in DIALECTS order, without loading the dictionaries: the CLI registers
 * `--sender` and `--as` choices from this list on every start. A test keeps it equal to DIALECTS.
 */
export const DIALECT_IDS = ['tpb', 'keitaro', 'binom', 'voluum', 'redtrack', 'peerclick', 'bemob', 'clickflare', 'tune', 'affise', 'everflow', 'cake', 'trackier', 'offer18', 'prosper202', 'impact', 'appsflyer', 'adjust'] as const;
