/**
 * What nodes tell each other about nodes: an id, the age of the news (rounds since the
 * node itself issued it) and its subscription profile.
 */
import type { Profile } from './profile.js';

/** A node's overlay id: the broker's public key in its text form (ring order is the string order). */
export type PeerId = string;

export interface Descriptor {
  readonly id: PeerId;
  readonly age: number;
  readonly profile: Profile;
}

/** `d` one round older. */
export function aged(d: Descriptor): Descriptor {
  return { id: d.id, age: d.age + 1, profile: d.profile };
}
