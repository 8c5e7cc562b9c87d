/** tpb catch's public functions, for the CLI, check and demo. */
export { startCatcher, DEFAULT_MAX_BODY_BYTES, type Catcher, type CatchOptions } from './receiver.js';
export { loadRules, parseRules, DEFAULT_ANSWER, type CatchAnswer, type CatchRule } from './rules.js';
export { waitForStop, type StopConditions, type StopOutcome } from './stop.js';
export { readPostbackFields, type PostbackFields } from './fields.js';
export { forwardTarget } from './forward.js';
export { NdjsonLog } from './log.js';
export type { CaughtRequest, CatchStats, CaughtForward } from './types.js';
