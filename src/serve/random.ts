// Seeded streams moved down into the kernel (src/http/random.ts) so tpb catch shares them; serve keeps this name.
export { randomStreams, seededRandom, systemRandom, type Random } from '../http/random.js';
