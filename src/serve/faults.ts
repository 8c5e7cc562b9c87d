// The fault plan moved down into the kernel (src/http/faults.ts) so tpb catch shares it; serve keeps this name.
export { FaultPlan, parseLatency, type FaultDecision, type FaultOptions, type LatencyRange } from '../http/faults.js';
