/**
 * The simulator's entry point for the `weft` command and the benchmarks: the seeded
 * scenario mix (`npm run sim`), the many-teams run (`npm run bench -- sim`) and the seeded
 * random source (the demo, the diff benchmark).
 */
export { prng } from './prng.js';
export { runScenario, type ScenarioResult } from './scenario.js';
export { runScale } from './scale-scenario.js';
export { runAccessMix, type AccessMixResult } from './access-mix.js';
export { runDishonestMix, DEFAULT_ATTACKS, type DishonestResult } from './dishonest-scenario.js';
export { ATTACKS, type Attack } from './dishonest-member.js';
export { runPolderCast, type PolderCastOptions, type PolderCastResult } from './overlay/polder-scenario.js';
export { runUrpsExperiment, type UrpsOutcome } from './overlay/urps-experiment.js';
export { runBlipExperiment, type BlipOutcome, type Overlap } from './overlay/blip-experiment.js';
