/**
 * The overlay (UPSYCLE): peer sampling (CYCLON, with a URPS sampler), interest
 * clustering (VICINITY on Bloom-filter profiles, optionally BLIP-randomised), topic rings
 * and RingCast dissemination (PolderCast), and the guard against misbehaving nodes.
 * docs/OVERLAY.md describes each part and its parameters.
 */
export { OverlayNode, type OverlayNodeOptions, type Outgoing, type Delivery, type Step } from './overlay-node.js';
export type { Descriptor, PeerId } from './descriptor.js';
export { Cyclon, type CyclonOptions } from './cyclon.js';
export { UrpsSampler, type UrpsOptions } from './urps.js';
export { CountMinSketch } from './count-min.js';
export { Vicinity, type VicinityOptions } from './vicinity.js';
export { covering, type CoveringOptions } from './coverage.js';
export { Profile, topicKey, topicBits, similarity, type ProfileOptions, type TopicKey } from './profile.js';
export { randomize, estimatedSimilarity, naiveSimilarity, flipProbability } from './blip.js';
export { TopicRing, TopicRings, type RingOptions } from './rings.js';
export { ringcastTargets, SeenEvents, type Forward } from './ringcast.js';
export { checkMessage, OversizedMessageError, MalformedMessageError, UnsupportedMessageError, type OverlayMessage, type OverlayLimits } from './messages.js';
export { PeerGuard, FloodingError, type GuardOptions, type RejectReason } from './guard.js';
export { Provenance, type ProvenanceOptions } from './provenance.js';
export { encodeOverlayMessage, decodeOverlayMessage, OVERLAY_KIND, OVERLAY_VERSION } from './wire.js';
