/**
 * Named errors of the transport. Every error a caller can see from
 * protocol/transport/ is a TransportError, with a message a user can act on.
 */

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
}

/** A frame above the channel's size limit, on send (thrown) or on receive (closes the channel). */
export class FrameTooLargeError extends TransportError {
  override readonly name = 'FrameTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
    readonly direction: 'send' | 'receive',
  ) {
    super(
      direction === 'send'
        ? `frame of ${size} bytes exceeds the ${limit}-byte limit; split it before sending`
        : `peer announced a frame of at least ${size} bytes, above the ${limit}-byte limit; channel closed`,
    );
  }
}

/** Malformed framing from the remote: a non-minimal length prefix, or the stream ended inside a frame. */
export class FrameFormatError extends TransportError {
  override readonly name = 'FrameFormatError';
}

/** The channel is closed (locally, by the remote, or because the transport stopped). */
export class ChannelClosedError extends TransportError {
  override readonly name = 'ChannelClosedError';
}

/** The remote reset the channel or the connection under it was lost. */
export class ChannelResetError extends TransportError {
  override readonly name = 'ChannelResetError';
}

/** A dial or a channel open failed (unreachable, timed out, protocol not served, wrong identity). */
export class DialError extends TransportError {
  override readonly name = 'DialError';
  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The transport was used before start(), after stop(), or a protocol id/handler was invalid. */
export class TransportStateError extends TransportError {
  override readonly name = 'TransportStateError';
}

/** A peer key that is not a 32-byte Ed25519 public key (or a libp2p peer with another key type). */
export class InvalidPeerKeyError extends TransportError {
  override readonly name = 'InvalidPeerKeyError';
}

/**
 * The remote's unfinished frames would hold more memory than the receiver allows (per
 * peer, or across all peers); the channel whose bytes went over is closed.
 */
export class ReceiveLimitError extends TransportError {
  override readonly name = 'ReceiveLimitError';
  constructor(
    message: string,
    /** True when the peer's own limit was hit (not the total of all peers). */
    readonly perPeer: boolean,
  ) {
    super(message);
  }
}

/** A frame the remote started stopped making progress (no bytes of it for too long); the channel is closed. */
export class FrameDeadlineError extends TransportError {
  override readonly name = 'FrameDeadlineError';
}
