/**
 * The Node platform's entry point: the real clock and randomness the edges inject into
 * the runtime, and the broker on disk behind `weft broker`.
 */
export { systemClock, systemRandom } from './system-clock.js';
export { NodeBroker, type BrokerStatusFile } from './node-broker.js';
