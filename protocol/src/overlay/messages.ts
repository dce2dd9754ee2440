/**
 * The overlay's messages and their bounds. Each message is a plain value that a signed
 * envelope (the broker's key, added by the adapter) can wrap whole: nothing in it depends
 * on the connection it came over. A message beyond its bounds or malformed is refused
 * with a typed error (guard.ts then drops its sender).
 */
import type { Descriptor, PeerId } from './descriptor.js';

export type OverlayMessage =
  | { readonly kind: 'cyclon-request' | 'cyclon-response'; readonly descriptors: readonly Descriptor[] }
  | { readonly kind: 'vicinity-request' | 'vicinity-response'; readonly descriptors: readonly Descriptor[] }
  /**
   * Sent once the connection to a bootstrap node is up: the request carries the sender's
   * own descriptor (exactly one), the answer the answerer's own first, then some of its
   * views (the most similar to the requester, and random ones).
   */
  | { readonly kind: 'descriptor-request' | 'descriptor-response'; readonly descriptors: readonly Descriptor[] }
  /** Ring gossip: the sender's known subscribers of `topic`; `subscribed` false means "I do not carry it". */
  | { readonly kind: 'ring-request' | 'ring-response'; readonly topic: string; readonly ids: readonly PeerId[]; readonly subscribed: boolean }
  /**
   * A node new to a topic's ring, routed (as a Chord join) to its predecessor on the ring,
   * which takes it in and answers it with a ring-response.
   */
  | { readonly kind: 'ring-join'; readonly topic: string; readonly joiner: PeerId; readonly hops: number }
  /** An event on a topic, named by its id (the payload travels with it at the adapter level). */
  | { readonly kind: 'event'; readonly topic: string; readonly event: string; readonly hops: number };

export type OverlayMessageKind = OverlayMessage['kind'];

export interface OverlayLimits {
  /** Descriptors or ids in one message (default 32). */
  maxIds?: number;
  /** Bits of one profile (default 65,536: 6,500 topics at 10 bits each). */
  maxProfileBits?: number;
  /** Characters of an id, a topic or an event id (default 128). */
  maxNameLength?: number;
  /** A descriptor's age in rounds (default 1,000). */
  maxAge?: number;
  /** Hops of an event (default 255). */
  maxHops?: number;
}

export class OversizedMessageError extends Error {
  override readonly name = 'OversizedMessageError';
}

export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

export type OverlayMessageError = OversizedMessageError | MalformedMessageError;

/**
 * Bytes of a well-framed message of a kind this node does not know (a tag a newer node
 * added, wire.ts): not malformed, so its sender is not banned for it; the message is
 * dropped, and counted against its sender's gossip rate so that it cannot be used to flood.
 */
export class UnsupportedMessageError extends Error {
  override readonly name = 'UnsupportedMessageError';
  constructor(
    readonly version: number,
    readonly tag: number,
  ) {
    super(`an overlay message with tag ${tag} (format version ${version}), unknown to this node: dropped`);
  }
}

const KINDS: ReadonlySet<string> = new Set([
  'cyclon-request',
  'cyclon-response',
  'vicinity-request',
  'vicinity-response',
  'descriptor-request',
  'descriptor-response',
  'ring-request',
  'ring-response',
  'ring-join',
  'event',
]);

/** Counted against the gossip rate; events are limited by the broker's topic quotas, joins by each node's join budget. */
export function isGossip(message: OverlayMessage): boolean {
  return message.kind !== 'event' && message.kind !== 'ring-join';
}

/** The first reason `message` is out of bounds or malformed, or undefined when it is fine. */
export function checkMessage(message: OverlayMessage, limits: OverlayLimits = {}): OverlayMessageError | undefined {
  const maxIds = limits.maxIds ?? 32;
  const maxName = limits.maxNameLength ?? 128;
  const name = (s: unknown, what: string): OverlayMessageError | undefined => {
    if (typeof s !== 'string' || s.length === 0) return new MalformedMessageError(`${what} is not a non-empty string`);
    if (s.length > maxName) return new OversizedMessageError(`${what} has ${s.length} characters, more than ${maxName}`);
    return undefined;
  };
  if (!KINDS.has(message.kind)) return new MalformedMessageError(`unknown message kind ${String(message.kind)}`);
  switch (message.kind) {
    case 'cyclon-request':
    case 'cyclon-response':
    case 'vicinity-request':
    case 'vicinity-response':
    case 'descriptor-request':
    case 'descriptor-response': {
      if (!Array.isArray(message.descriptors)) return new MalformedMessageError('descriptors is not a list');
      if (message.descriptors.length > maxIds) return new OversizedMessageError(`${message.descriptors.length} descriptors, more than ${maxIds}`);
      if (message.kind === 'descriptor-request' && message.descriptors.length !== 1) return new MalformedMessageError(`a descriptor request with ${message.descriptors.length} descriptors, not its sender's one`);
      if (message.kind === 'descriptor-response' && message.descriptors.length === 0) return new MalformedMessageError('a descriptor response without its sender\'s descriptor');
      const seen = new Set<string>();
      for (const d of message.descriptors) {
        const bad = name(d.id, 'a descriptor id') ?? checkDescriptor(d, limits);
        if (bad) return bad;
        if (seen.has(d.id)) return new MalformedMessageError(`descriptor ${d.id} appears twice`);
        seen.add(d.id);
      }
      return undefined;
    }
    case 'ring-request':
    case 'ring-response': {
      if (!Array.isArray(message.ids)) return new MalformedMessageError('ids is not a list');
      if (message.ids.length > maxIds) return new OversizedMessageError(`${message.ids.length} ids, more than ${maxIds}`);
      for (const id of message.ids) {
        const bad = name(id, 'an id');
        if (bad) return bad;
      }
      return name(message.topic, 'the topic');
    }
    case 'ring-join':
      return checkHops(message.hops, limits) ?? name(message.topic, 'the topic') ?? name(message.joiner, 'the joiner');
    case 'event':
      return checkHops(message.hops, limits) ?? name(message.topic, 'the topic') ?? name(message.event, 'the event id');
  }
}

function checkHops(hops: number, limits: OverlayLimits): OverlayMessageError | undefined {
  const maxHops = limits.maxHops ?? 255;
  if (!Number.isInteger(hops) || hops < 0) return new MalformedMessageError(`hops ${hops} is not a count`);
  if (hops > maxHops) return new OversizedMessageError(`hops ${hops} beyond ${maxHops}`);
  return undefined;
}

function checkDescriptor(d: Descriptor, limits: OverlayLimits): OverlayMessageError | undefined {
  const maxAge = limits.maxAge ?? 1000;
  const maxBits = limits.maxProfileBits ?? 65536;
  if (!Number.isInteger(d.age) || d.age < 0) return new MalformedMessageError(`descriptor ${d.id}: age ${d.age} is not a count`);
  if (d.age > maxAge) return new OversizedMessageError(`descriptor ${d.id}: age ${d.age} beyond ${maxAge}`);
  const p = d.profile;
  const size = p.words.length * 32;
  if (size > maxBits) return new OversizedMessageError(`descriptor ${d.id}: profile of ${size} bits, more than ${maxBits}`);
  if (size < 64 || (size & (size - 1)) !== 0) return new MalformedMessageError(`descriptor ${d.id}: profile size ${size} is not a power of two >= 64`);
  if (!Number.isInteger(p.hashes) || p.hashes < 1 || p.hashes > 16) return new MalformedMessageError(`descriptor ${d.id}: ${p.hashes} hashes`);
  if (!(p.flip >= 0 && p.flip < 0.5)) return new MalformedMessageError(`descriptor ${d.id}: flip probability ${p.flip}`);
  return undefined;
}
