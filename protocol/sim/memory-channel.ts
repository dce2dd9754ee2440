/**
 * A FrameChannel between two in-memory transports: two ends, each sending to the
 * other through a pipe that delivers whole frames after the link's latency, on the
 * injected clock.
 *
 * Order: a pipe never lets a packet overtake an earlier one, even when the latency
 * changes between sends: each packet arrives no earlier than the one before it,
 * and each timer delivers the pipe's oldest packet rather than "its own".
 *
 * Backpressure: a frame costs its length plus one (so empty frames are bounded
 * too; libp2p's length prefix plays that role). The receiving end counts the cost
 * of the frames in flight to it and of the ones its reader has not taken yet; a
 * send resolves only once its frame fits under the receiver's high-water mark (or
 * the receiver holds nothing, so a frame above the mark still passes alone). A
 * reader that does not read therefore stalls an awaiting sender without losing
 * frames, as yamux's window does over libp2p.
 *
 * Closing is mutual, as the contract says: close() flushes the queued frames, then
 * sends an end; the other side, on the end, answers with its own end once its
 * queue is flushed. An end has fully ended when it has sent its end and received
 * the other's. A reset ends the other side at once with ChannelResetError.
 */
import {
  ChannelClosedError,
  ChannelResetError,
  FrameTooLargeError,
  TransportError,
  TransportStateError,
} from '../src/ports/transport-errors.js';
import type { Clock } from '../src/ports/clock.js';
import type { FrameChannel } from '../src/ports/transport.js';

type Packet = { kind: 'frame'; bytes: Uint8Array } | { kind: 'end' } | { kind: 'reset'; reason: string };

interface PendingSend {
  frame: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** What one end of a channel needs to know about its side of the link. */
export interface ChannelEndInit {
  /** The public key of the other side. */
  remote: Uint8Array;
  /** Largest frame this end sends or accepts. */
  maxFrameBytes: number;
  /** Bytes of frames this end holds unread (in flight to it included) before the other side's sends wait. */
  highWaterBytes: number;
  /** One-way delay from this end to the other, asked at every packet. */
  latency: () => number;
  /** The other side broke the framing rules (a frame above our limit). */
  onProtocolError: (error: TransportError) => void;
  /** This end has fully ended (not called after halt()). */
  onEnded: () => void;
}

/** The cost of a frame against the receiver's high-water mark. */
function frameCost(frame: Uint8Array): number {
  return frame.byteLength + 1;
}

/** Two connected ends of a new channel for `protocol`. */
export function createChannelPair(
  clock: Clock,
  protocol: string,
  first: ChannelEndInit,
  second: ChannelEndInit,
): [MemoryChannel, MemoryChannel] {
  const a = new MemoryChannel(clock, protocol, first);
  const b = new MemoryChannel(clock, protocol, second);
  a.connect(b);
  b.connect(a);
  return [a, b];
}

export class MemoryChannel implements FrameChannel {
  readonly remote: Uint8Array;
  private other: MemoryChannel | undefined;

  // sending
  private readonly queue: PendingSend[] = [];
  private readonly drainWaiters: Array<() => void> = [];
  /** Packets sent and not yet arrived, oldest first. */
  private inFlight: Packet[] = [];
  private lastArrival = -Infinity;
  private outputEnded = false;

  // receiving
  private inbox: Uint8Array[] = [];
  private inboxHead = 0;
  /** Cost of the frames in flight to this end plus those in its inbox. */
  private unreadCost = 0;
  private wakeReader: (() => void) | undefined;
  private inputEnded = false;
  private iterated = false;
  /** The reader left its loop: frames arriving from now on are dropped. */
  private discarding = false;

  // lifecycle
  private closing: Promise<void> | undefined;
  private ended = false;
  private halted = false;
  private reason: TransportError | undefined;
  private readonly closeListeners = new Set<(reason: TransportError | undefined) => void>();

  constructor(
    private readonly clock: Clock,
    readonly protocol: string,
    private readonly init: ChannelEndInit,
  ) {
    this.remote = init.remote;
  }

  /** Wires the other end (createChannelPair only). */
  connect(other: MemoryChannel): void {
    this.other = other;
  }

  get closed(): boolean {
    return this.ended || this.closing !== undefined;
  }

  get closeReason(): TransportError | undefined {
    return this.reason;
  }

  onClose(listener: (reason: TransportError | undefined) => void): () => void {
    if (this.ended) {
      if (!this.halted) queueMicrotask(() => listener(this.reason));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  // ---- sending ----

  send(frame: Uint8Array): Promise<void> {
    if (frame.byteLength > this.init.maxFrameBytes) {
      return Promise.reject(new FrameTooLargeError(frame.byteLength, this.init.maxFrameBytes, 'send'));
    }
    if (this.closed) return Promise.reject(this.closedError());
    return new Promise<void>((resolve, reject) => {
      // a copy: nodes of a simulation share no memory, as real peers do not
      this.queue.push({ frame: frame.slice(), resolve, reject });
      this.pump();
    });
  }

  /** Hands queued frames to the pipe while the other end has room for them. */
  private pump(): void {
    const other = this.other;
    if (other === undefined) return;
    while (this.queue.length > 0 && !this.ended) {
      const next = this.queue[0]!;
      const cost = frameCost(next.frame);
      if (!other.hasRoomFor(cost)) return;
      this.transmit({ kind: 'frame', bytes: next.frame });
      this.queue.shift();
      other.unreadCost += cost;
      next.resolve();
    }
    if (this.queue.length === 0) for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  private hasRoomFor(cost: number): boolean {
    return this.unreadCost === 0 || this.unreadCost + cost <= this.init.highWaterBytes;
  }

  /** Resolves once every queued frame is handed to the pipe (or the channel ended). */
  private drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private transmit(packet: Packet): void {
    const now = this.clock.now();
    const latency = this.init.latency();
    const arrival = Math.max(now + latency, this.lastArrival);
    this.lastArrival = arrival;
    this.inFlight.push(packet);
    this.clock.after(arrival - now, () => {
      const oldest = this.inFlight.shift();
      if (oldest !== undefined) this.other?.arrive(oldest);
    });
  }

  // ---- receiving ----

  private arrive(packet: Packet): void {
    if (this.ended && packet.kind !== 'frame') return;
    switch (packet.kind) {
      case 'frame':
        return this.arriveFrame(packet.bytes);
      case 'end':
        this.inputEnded = true;
        this.wake();
        if (this.outputEnded) this.finish(undefined);
        else void this.close();
        return;
      case 'reset':
        this.discardInFlight();
        this.finish(new ChannelResetError(packet.reason));
        return;
    }
  }

  private arriveFrame(bytes: Uint8Array): void {
    if (this.ended || this.discarding) {
      this.release(frameCost(bytes));
      return;
    }
    if (bytes.byteLength > this.init.maxFrameBytes) {
      this.protocolError(new FrameTooLargeError(bytes.byteLength, this.init.maxFrameBytes, 'receive'));
      return;
    }
    this.inbox.push(bytes);
    this.wake();
  }

  /** Frees room in this end's buffer and lets the other side's waiting sends go. */
  private release(cost: number): void {
    this.unreadCost -= cost;
    this.other?.pump();
  }

  frames(): AsyncIterable<Uint8Array> {
    if (this.iterated) throw new TransportStateError('frames() may be called only once per channel');
    this.iterated = true;
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => this.nextFrame(),
      return: async () => {
        this.discarding = true;
        this.discardInbox();
        void this.close();
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  private async nextFrame(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.inboxHead < this.inbox.length) {
        const frame = this.inbox[this.inboxHead]!;
        this.inboxHead++;
        if (this.inboxHead * 2 > this.inbox.length && this.inboxHead > 1024) this.compactInbox();
        this.release(frameCost(frame));
        return { done: false, value: frame };
      }
      if (this.inputEnded) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private compactInbox(): void {
    this.inbox = this.inbox.slice(this.inboxHead);
    this.inboxHead = 0;
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  private discardInbox(): void {
    let cost = 0;
    for (let i = this.inboxHead; i < this.inbox.length; i++) cost += frameCost(this.inbox[i]!);
    this.inbox = [];
    this.inboxHead = 0;
    if (cost > 0) this.release(cost);
  }

  // ---- ending ----

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drained();
      if (this.ended || this.outputEnded) return;
      this.outputEnded = true;
      this.transmit({ kind: 'end' });
      if (this.inputEnded) this.finish(undefined);
    })();
    return this.closing;
  }

  /** Ends this end now with `reason`; the other side is reset after the link's latency, behind what was sent. */
  abort(reason: TransportError, remoteReason: string): void {
    if (this.ended) return;
    if (!this.outputEnded) {
      this.outputEnded = true;
      this.transmit({ kind: 'reset', reason: remoteReason });
    }
    this.finish(reason);
  }

  /** Ends this end now with `reason`, losing what is in flight from it: the link is gone. */
  cut(reason: TransportError): void {
    if (this.ended) return;
    this.discardInFlight();
    this.finish(reason);
  }

  /**
   * The process holding this end died: nothing of it runs again, so no listener
   * is called and no promise of it settles; what it had in flight is lost.
   */
  halt(): void {
    this.halted = true;
    this.ended = true;
    this.discardInFlight();
    this.queue.length = 0;
    this.drainWaiters.length = 0;
    this.closeListeners.clear();
    this.wakeReader = undefined;
  }

  private discardInFlight(): void {
    this.inFlight = [];
    this.outputEnded = true;
  }

  private protocolError(error: TransportError): void {
    this.discarding = true;
    this.discardInbox();
    try {
      this.init.onProtocolError(error);
    } catch {
      // a listener's failure must not keep the channel open
    }
    this.abort(error, `the remote closed the channel: ${error.message}`);
  }

  /** Final state: no more input beyond the inbox, no more output, listeners told once. */
  private finish(reason: TransportError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.reason ??= reason;
    this.inputEnded = true;
    this.wake();
    const error = this.closedError();
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const waiter of this.drainWaiters.splice(0)) waiter();
    for (const listener of this.closeListeners) {
      try {
        listener(this.reason);
      } catch {
        // a listener's failure is its own
      }
    }
    this.closeListeners.clear();
    this.init.onEnded();
  }

  private closedError(): ChannelClosedError {
    const why = this.reason !== undefined ? `: ${this.reason.message}` : '';
    return new ChannelClosedError(`channel ${this.protocol} is closed${why}`, { cause: this.reason });
  }
}
