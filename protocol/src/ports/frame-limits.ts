/** Frame sizes every Transport honours (libp2p's and the simulator's alike). */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Largest limit we accept: frame lengths stay exact and a prefix fits in 5 bytes. */
export const MAX_FRAME_LIMIT = 0x7fffffff;

export function checkFrameLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_FRAME_LIMIT) {
    throw new RangeError(`maxFrameBytes must be an integer in 1..${MAX_FRAME_LIMIT}, got ${limit}`);
  }
  return limit;
}
