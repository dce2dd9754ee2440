/**
 * A FrameChannel over one libp2p stream (a yamux substream inside a Noise
 * session).
 *
 * Sending: frames queue in order; one pump hands them to the stream, batching
 * frames queued in the same tick into one stream.send() (each send costs about
 * 70 µs, see ENVIRONMENT.md). While the stream reports writableNeedsDrain (its
 * send() returned false) the pump waits for the 'drain' event before sending
 * more or resolving the callers' promises, so an awaiting sender never runs
 * ahead of the remote's yamux window.
 *
 * Receiving: we do not use the stream's async iterator, which buffers without
 * bound. Chunks arrive through 'message' events, are cut into frames, and wait
 * in an inbox for frames(). When the inbox holds more than INBOX_HIGH_WATER
 * bytes we pause() the stream: yamux then stops granting window and the remote's
 * send() reports backpressure. We resume() below INBOX_LOW_WATER. Memory per
 * channel stays below high water + one frame + the yamux receive window.
 *
 * Unfinished frames (issue 18): the bytes of a frame still being gathered are charged
 * to a ReceiveBudget shared by the transport's channels (a limit per peer and one in
 * total); going over closes the channel with ReceiveLimitError. And a frame must keep
 * making progress: from its first byte, each FRAME_PROGRESS_BYTES of it (or its end)
 * must arrive within frameProgressMs, else FrameDeadlineError. The deadline is sized
 * by progress, not by the frame's length, so a slow but steady honest link is never
 * cut off, and it is suspended while we paused the stream ourselves.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import {
  ChannelClosedError,
  ChannelResetError,
  FrameDeadlineError,
  FrameFormatError,
  FrameTooLargeError,
  ReceiveLimitError,
  TransportError,
  TransportStateError,
} from '../src/ports/transport-errors.js';
import type { ReceiveBudget } from './receive-budget.js';
import { concatBytes } from '../src/codec/bytes.js';
import { FrameDecoder, encodeFrameHeader } from './frame-codec.js';
import type { FrameChannel } from '../src/ports/transport.js';

export const INBOX_HIGH_WATER = 1024 * 1024;
export const INBOX_LOW_WATER = 256 * 1024;
/** Frames at most this big are copied into a shared batch buffer; larger ones are sent as they are. */
const COPY_BELOW = 16 * 1024;
/** Most bytes handed to one stream.send() when batching small frames. */
const BATCH_BYTES = 256 * 1024;
/** Default time an unfinished frame has to gain FRAME_PROGRESS_BYTES (or end). */
export const DEFAULT_FRAME_PROGRESS_MS = 10_000;
/** Progress an unfinished frame must make per frameProgressMs: 16 KiB in 10 s is 13 kbit/s. */
export const FRAME_PROGRESS_BYTES = 16 * 1024;

interface PendingSend {
  frame: Uint8Array;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface StreamFrameChannelInit {
  remote: Uint8Array;
  protocol: string;
  /** The connection's remote IP address, when it has one. */
  remoteAddress?: string;
  /** The relay's public key, when the connection is relayed. */
  relay?: Uint8Array;
  /** The connection is WebRTC (direct through the NATs). */
  webrtc?: boolean;
  maxFrameBytes: number;
  /** Bad framing from the remote: reported once, the channel is then closed. */
  onProtocolError: (error: TransportError) => void;
  /** Memory of unfinished frames, shared by the transport's channels (none: unlimited). */
  budget?: ReceiveBudget;
  /** Time an unfinished frame has to gain FRAME_PROGRESS_BYTES or end. Default 10 s. */
  frameProgressMs?: number;
}

export class StreamFrameChannel implements FrameChannel {
  readonly remote: Uint8Array;
  readonly protocol: string;
  readonly remoteAddress?: string;
  readonly relay?: Uint8Array;
  readonly webrtc?: boolean;
  private readonly maxFrameBytes: number;
  private readonly decoder: FrameDecoder;
  private readonly onProtocolError: (error: TransportError) => void;
  private readonly budget: ReceiveBudget | undefined;
  private readonly budgetKey: string;
  private readonly frameProgressMs: number;
  /** Bytes of the unfinished frame charged to the budget. */
  private charged = 0;
  /** The unfinished frame's deadline (ms since epoch, 0: none) and its size when last armed. */
  private frameDeadline = 0;
  private progressMark = 0;
  private deadlineTimer: ReturnType<typeof setTimeout> | undefined;

  // receive side
  private inbox: Uint8Array[] = [];
  private inboxHead = 0;
  private inboxBytes = 0;
  private wakeReader: (() => void) | null = null;
  private inputEnded = false;
  private remoteEnded = false;
  private paused = false;
  private iterated = false;

  // send side
  private queue: PendingSend[] = [];
  private pumping: Promise<void> | null = null;

  // lifecycle
  private closeRequested: Promise<void> | null = null;
  private ended = false;
  private reason: TransportError | undefined;
  private readonly closeListeners = new Set<(reason: TransportError | undefined) => void>();

  constructor(
    private readonly stream: Stream,
    init: StreamFrameChannelInit,
  ) {
    this.remote = init.remote;
    this.protocol = init.protocol;
    if (init.remoteAddress !== undefined) this.remoteAddress = init.remoteAddress;
    if (init.relay !== undefined) this.relay = init.relay;
    if (init.webrtc) this.webrtc = true;
    this.maxFrameBytes = init.maxFrameBytes;
    this.decoder = new FrameDecoder(init.maxFrameBytes);
    this.onProtocolError = init.onProtocolError;
    this.budget = init.budget;
    this.budgetKey = Buffer.from(init.remote).toString('hex');
    this.frameProgressMs = init.frameProgressMs ?? DEFAULT_FRAME_PROGRESS_MS;
    // While paused the stream keeps what the remote already had window for; the
    // default 4 MiB cap would reset a stream whose yamux window grew past it.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, 32 * 1024 * 1024);
    stream.addEventListener('message', this.onMessage);
    stream.addEventListener('remoteCloseWrite', this.onRemoteCloseWrite);
    stream.addEventListener('close', this.onStreamClose);
    if (stream.status !== 'open') this.finish(new ChannelClosedError('stream closed before the channel opened'));
  }

  get closed(): boolean {
    return this.ended || this.closeRequested !== null;
  }

  get closeReason(): TransportError | undefined {
    return this.reason;
  }

  onClose(listener: (reason: TransportError | undefined) => void): () => void {
    if (this.ended) {
      queueMicrotask(() => listener(this.reason));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  // ---- sending ----

  send(frame: Uint8Array): Promise<void> {
    if (frame.byteLength > this.maxFrameBytes) {
      return Promise.reject(new FrameTooLargeError(frame.byteLength, this.maxFrameBytes, 'send'));
    }
    if (this.closed) {
      return Promise.reject(this.closedError());
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, resolve, reject });
      if (this.pumping === null) this.pumping = this.pump();
    });
  }

  private async pump(): Promise<void> {
    // let frames sent in the same tick join the first batch
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        if (this.ended || this.stream.writeStatus !== 'writable') throw this.closedError();
        const batch = this.takeBatch();
        for (const piece of this.encodeBatch(batch)) {
          await this.writable();
          this.stream.send(piece);
        }
        await this.writable();
        for (const p of batch) p.resolve();
      }
    } catch (err) {
      const error = err instanceof TransportError ? err : this.closedError(err);
      // the batch in flight, if any, was already removed from the queue
      for (const p of this.inFlight) p.reject(error);
      for (const p of this.queue.splice(0)) p.reject(error);
    } finally {
      this.inFlight = [];
      this.pumping = null;
    }
  }

  private inFlight: PendingSend[] = [];

  /**
   * Resolves when the stream accepts data without queueing it. We listen for
   * 'drain' ourselves: stream.onDrain() in @libp2p/utils 7.4.1 keeps its first
   * resolved promise and returns it on every later call, so after the first
   * drain it no longer waits (measured: a 50 MB sender ran 50 MB ahead).
   */
  private async writable(): Promise<void> {
    while (this.stream.writableNeedsDrain) {
      if (this.ended || this.stream.writeStatus !== 'writable') throw this.closedError();
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          cleanup();
          resolve();
        };
        const onClose = (evt: StreamCloseEvent): void => {
          cleanup();
          reject(this.closedError(evt.error));
        };
        const cleanup = (): void => {
          this.stream.removeEventListener('drain', onDrain);
          this.stream.removeEventListener('close', onClose);
        };
        this.stream.addEventListener('drain', onDrain);
        this.stream.addEventListener('close', onClose);
      });
    }
  }

  private takeBatch(): PendingSend[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.frame.byteLength <= BATCH_BYTES)) {
      bytes += this.queue[n]!.frame.byteLength + 5;
      n++;
    }
    this.inFlight = this.queue.splice(0, n);
    return this.inFlight;
  }

  /** Small frames (with their prefixes) are copied into shared buffers; large frames go as they are. */
  private encodeBatch(batch: PendingSend[]): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    let copy: Uint8Array[] = [];
    const flushCopy = (): void => {
      if (copy.length === 0) return;
      pieces.push(concatBytes(copy));
      copy = [];
    };
    for (const { frame } of batch) {
      copy.push(encodeFrameHeader(frame.byteLength));
      if (frame.byteLength <= COPY_BELOW) {
        copy.push(frame);
      } else {
        flushCopy();
        pieces.push(frame);
      }
    }
    flushCopy();
    return pieces;
  }

  // ---- receiving ----

  frames(): AsyncIterable<Uint8Array> {
    if (this.iterated) throw new TransportStateError('frames() may be called only once per channel');
    this.iterated = true;
    const iterator: AsyncIterator<Uint8Array> = {
      next: () => this.nextFrame(),
      return: async () => {
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
        this.inbox[this.inboxHead++] = undefined as unknown as Uint8Array;
        if (this.inboxHead > 1024 && this.inboxHead * 2 > this.inbox.length) {
          this.inbox = this.inbox.slice(this.inboxHead);
          this.inboxHead = 0;
        }
        this.inboxBytes -= frame.byteLength;
        if (this.paused && this.inboxBytes <= INBOX_LOW_WATER) this.resumeStream();
        return { done: false, value: frame };
      }
      if (this.inputEnded) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private readonly deliver = (frame: Uint8Array): void => {
    if (this.inputEnded) return;
    this.inbox.push(frame);
    this.inboxBytes += frame.byteLength;
    this.wake();
  };

  private wake(): void {
    const w = this.wakeReader;
    if (w !== null) {
      this.wakeReader = null;
      w();
    }
  }

  private readonly onMessage = (evt: StreamMessageEvent): void => {
    if (this.inputEnded) return;
    const data = evt.data;
    try {
      if (data instanceof Uint8Array) this.decoder.push(data, this.deliver);
      else for (const buf of data) this.decoder.push(buf, this.deliver);
    } catch (err) {
      this.protocolError(err instanceof TransportError ? err : new FrameFormatError(String(err)));
      return;
    }
    if (!this.watchUnfinishedFrame()) return;
    if (!this.resuming) this.pauseIfFull();
    this.checkInputEnd();
  };

  /**
   * Charges the unfinished frame's bytes to the budget and keeps its deadline; false
   * once the channel was closed for going over either.
   */
  private watchUnfinishedFrame(): boolean {
    const held = this.decoder.bufferedBytes;
    const over = this.budget?.adjust(this.budgetKey, held - this.charged);
    this.charged = held;
    if (over !== undefined) {
      this.protocolError(new ReceiveLimitError(`${over.reason}; channel closed`, over.perPeer));
      return false;
    }
    if (!this.decoder.midFrame) {
      this.frameDeadline = 0;
    } else if (this.frameDeadline === 0 || held - this.progressMark >= FRAME_PROGRESS_BYTES) {
      this.armFrameDeadline();
    }
    return true;
  }

  private armFrameDeadline(): void {
    this.frameDeadline = Date.now() + this.frameProgressMs;
    this.progressMark = this.decoder.bufferedBytes;
    if (this.deadlineTimer === undefined) this.scheduleDeadlineCheck(this.frameProgressMs);
  }

  /** One timer per channel, re-armed lazily: progress only moves frameDeadline forward. */
  private scheduleDeadlineCheck(ms: number): void {
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      if (this.frameDeadline === 0 || this.ended) return;
      if (this.paused) return; // we stopped reading: the remote cannot progress; resume() re-arms
      const left = this.frameDeadline - Date.now();
      if (left > 0) {
        this.scheduleDeadlineCheck(left);
        return;
      }
      this.protocolError(
        new FrameDeadlineError(
          `an unfinished frame (${this.decoder.bufferedBytes} bytes so far) gained less than ${FRAME_PROGRESS_BYTES} bytes in ${this.frameProgressMs} ms; channel closed`,
        ),
      );
    }, ms);
    this.deadlineTimer.unref?.();
  }

  private pauseIfFull(): void {
    if (!this.paused && this.inboxBytes > INBOX_HIGH_WATER && this.stream.readStatus === 'readable') {
      this.paused = true;
      this.stream.pause();
    }
  }

  private resuming = false;

  private resumeStream(): void {
    this.paused = false;
    if (this.stream.readStatus === 'paused') {
      // resume() dispatches buffered data synchronously into onMessage, then
      // tells yamux to grant window again. A pause() from inside that dispatch
      // would be undone by the grant (yamux 8.0.3 sets its state back to
      // Established after dispatching) and the window would never close again,
      // so we pause, if still needed, only after resume() returns.
      this.resuming = true;
      try {
        this.stream.resume();
      } finally {
        this.resuming = false;
      }
      if (this.ended) return;
      // the remote could not progress while we were paused: its frame gets a full period again
      if (this.decoder.midFrame) this.armFrameDeadline();
      this.pauseIfFull();
    }
    this.checkInputEnd();
  }

  private readonly onRemoteCloseWrite = (): void => {
    this.remoteEnded = true;
    // A FIN may ride on a data frame whose payload is dispatched right after this
    // event: look again once the current dispatch is over.
    queueMicrotask(() => this.checkInputEnd());
  };

  /** The remote finished sending and everything it sent is decoded: end input, close our side too. */
  private checkInputEnd(): void {
    if (!this.remoteEnded || this.inputEnded || this.ended) return;
    if (this.stream.readBufferLength > 0) return; // still paused with data
    if (this.decoder.midFrame) {
      this.protocolError(new FrameFormatError('the remote ended its stream inside a frame'));
      return;
    }
    this.inputEnded = true;
    this.wake();
    // closing is mutual: answer the remote's close with ours once our queue is flushed
    void this.close();
  }

  private protocolError(error: TransportError): void {
    if (this.ended) return;
    this.reason ??= error;
    this.inputEnded = true;
    this.discardInbox();
    try {
      this.onProtocolError(error);
    } catch {
      // a listener's failure must not keep the channel open
    }
    this.stream.abort(error);
    this.finish(error);
  }

  private readonly onStreamClose = (evt: StreamCloseEvent): void => {
    let reason: TransportError | undefined;
    if (evt.error !== undefined && this.reason === undefined) {
      reason =
        evt.error instanceof TransportError
          ? evt.error
          : new ChannelResetError(
              evt.local === true
                ? `channel aborted: ${evt.error.message}`
                : `the remote reset the channel or the connection was lost (${evt.error.message})`,
              { cause: evt.error },
            );
    } else if (!this.inputEnded && this.decoder.midFrame && this.reason === undefined) {
      reason = new ChannelResetError('the connection closed inside a frame');
    } else if (!this.remoteEnded && evt.local !== true && this.reason === undefined) {
      // Closing is mutual (each side ends its writes): a stream gone without the remote's
      // end was cut (its connection dropped, as when the remote's transport stops).
      reason = new ChannelResetError('the connection closed before the remote closed the channel');
    }
    this.finish(reason);
  };

  /** Final state: no more input beyond what is queued, no more output, listeners told once. */
  private finish(reason: TransportError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (reason !== undefined) this.reason ??= reason;
    this.inputEnded = true;
    this.wake();
    this.stream.removeEventListener('message', this.onMessage);
    this.stream.removeEventListener('remoteCloseWrite', this.onRemoteCloseWrite);
    this.stream.removeEventListener('close', this.onStreamClose);
    this.releaseUnfinishedFrame();
    const error = this.closedError();
    for (const p of this.queue.splice(0)) p.reject(error);
    for (const listener of this.closeListeners) {
      try {
        listener(this.reason);
      } catch {
        // ignore listener failures
      }
    }
    this.closeListeners.clear();
  }

  /** The channel ended: its unfinished frame's bytes go back to the budget, its deadline stops. */
  private releaseUnfinishedFrame(): void {
    this.budget?.adjust(this.budgetKey, -this.charged);
    this.charged = 0;
    this.frameDeadline = 0;
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.decoder.discard();
  }

  private discardInbox(): void {
    this.inbox = [];
    this.inboxHead = 0;
    this.inboxBytes = 0;
  }

  private closedError(cause?: unknown): ChannelClosedError {
    const why = this.reason !== undefined ? `: ${this.reason.message}` : '';
    return new ChannelClosedError(`channel ${this.protocol} is closed${why}`, { cause: cause ?? this.reason });
  }

  // ---- closing ----

  close(): Promise<void> {
    if (this.closeRequested !== null) return this.closeRequested;
    this.closeRequested = (async () => {
      if (this.pumping !== null) await this.pumping;
      if (this.ended) return;
      try {
        await this.stream.close();
      } catch {
        // already reset or the connection went away: nothing left to flush
      }
    })();
    return this.closeRequested;
  }

  /** Ends the channel at once, discarding queued data both ways (transport stop). */
  abort(reason: TransportError): void {
    if (this.ended) return;
    this.reason ??= reason;
    this.stream.abort(reason);
    this.finish(reason);
  }
}
