/**
 * What unfinished frames may hold in memory. A frame's bytes are gathered as they
 * arrive, so a remote that announces large frames and does not finish them makes the
 * receiver hold them (issue 18: 100 channels x 4 MB held 760 MiB). Each channel charges
 * the bytes of its unfinished frame here, against a limit per remote peer (all its
 * channels and connections together) and one across all peers; a charge that goes over
 * either names the limit, and the channel closes, which gives its bytes back.
 */
export interface ReceiveLimits {
  /** Bytes of unfinished frames one peer may have us hold, over all its channels. */
  readonly perPeerBytes: number;
  /** The same over every peer. */
  readonly totalBytes: number;
}

export class ReceiveBudget {
  private total = 0;
  private readonly perPeer = new Map<string, number>();

  constructor(readonly limits: ReceiveLimits) {}

  get heldBytes(): number {
    return this.total;
  }

  /** Changes what `peer` holds by `delta` bytes; the limit it went over, if it did. */
  adjust(peer: string, delta: number): { reason: string; perPeer: boolean } | undefined {
    if (delta === 0) return undefined;
    const held = (this.perPeer.get(peer) ?? 0) + delta;
    if (held <= 0) this.perPeer.delete(peer);
    else this.perPeer.set(peer, held);
    this.total += delta;
    if (delta < 0) return undefined;
    if (held > this.limits.perPeerBytes) return { perPeer: true, reason: `the peer's unfinished frames would hold ${held} bytes, above the ${this.limits.perPeerBytes}-byte limit per peer` };
    if (this.total > this.limits.totalBytes) return { perPeer: false, reason: `unfinished frames of all peers would hold ${this.total} bytes, above the ${this.limits.totalBytes}-byte limit` };
    return undefined;
  }
}
