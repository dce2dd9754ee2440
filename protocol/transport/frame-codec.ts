/**
 * Framing of a channel's byte stream.
 *
 * Wire format: a sequence of frames, each `varuint(length) || bytes[length]`.
 * The length is an unsigned LEB128 varint, the same encoding as
 * protocol/src/codec/bytes.ts (7 bits per byte, least significant group first,
 * high bit = continuation), in its minimal form (no trailing 0x80 groups). With
 * the 4 MiB default limit a prefix is at most 4 bytes; any limit fits in 5.
 * Zero-length frames are allowed.
 *
 * The decoder never allocates on the say-so of a length prefix: it rejects a
 * prefix above the limit as soon as the partial value exceeds it, and it gathers
 * a frame's bytes from the chunks that actually arrived, copying once when the
 * frame is complete. A frame that lies inside one chunk is returned as a view.
 */
import { concatBytes } from '../src/codec/bytes.js';
import { FrameFormatError, FrameTooLargeError } from '../src/ports/transport-errors.js';
import { DEFAULT_MAX_FRAME_BYTES, checkFrameLimit } from '../src/ports/frame-limits.js';

const MAX_PREFIX_BYTES = 5;

/** The varint length prefix of a frame of `length` bytes. */
export function encodeFrameHeader(length: number): Uint8Array {
  const out = new Uint8Array(varuintSize(length));
  let v = length;
  let i = 0;
  while (v > 0x7f) {
    out[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[i] = v;
  return out;
}

export function varuintSize(v: number): number {
  let n = 1;
  while (v > 0x7f) {
    v >>>= 7;
    n++;
  }
  return n;
}

/** `header || body` in one buffer (for tests, raw peers and small-frame batching). */
export function encodeFrame(body: Uint8Array): Uint8Array {
  return concatBytes([encodeFrameHeader(body.byteLength), body]);
}

/**
 * Incremental decoder: push() chunks as they arrive (any split), receive each
 * complete frame through the callback. After it throws, the decoder is dead.
 */
export class FrameDecoder {
  // length prefix being read
  private prefixValue = 0;
  private prefixMul = 1;
  private prefixBytes = 0;
  // body being gathered; need < 0 means "reading a prefix"
  private need = -1;
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private failed = false;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    checkFrameLimit(maxFrameBytes);
  }

  /** Bytes of an incomplete frame held (its prefix not counted). */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  /** True when input stopped here would cut a frame short. */
  get midFrame(): boolean {
    return this.need >= 0 || this.prefixBytes > 0;
  }

  /** Drops an unfinished frame's bytes (its channel ended); the decoder is dead afterwards. */
  discard(): void {
    this.failed = true;
    this.parts = [];
    this.partsBytes = 0;
  }

  push(input: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    if (this.failed) throw new FrameFormatError('decoder already failed');
    // Views on Node Buffers become plain Uint8Arrays (same memory) so that
    // consumers get one type.
    const chunk = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let pos = 0;
    const end = chunk.byteLength;
    try {
      while (pos < end) {
        if (this.need < 0) {
          pos = this.readPrefix(chunk, pos);
          if (this.need === 0) {
            this.need = -1;
            onFrame(new Uint8Array(0));
          }
          continue;
        }
        const take = Math.min(this.need - this.partsBytes, end - pos);
        if (this.partsBytes === 0 && take === this.need) {
          // whole frame inside this chunk: hand out a view, no copy
          const frame = chunk.subarray(pos, pos + take);
          pos += take;
          this.need = -1;
          onFrame(frame);
          continue;
        }
        this.parts.push(chunk.subarray(pos, pos + take));
        this.partsBytes += take;
        pos += take;
        if (this.partsBytes === this.need) {
          const frame = concatBytes(this.parts);
          this.parts = [];
          this.partsBytes = 0;
          this.need = -1;
          onFrame(frame);
        }
      }
    } catch (err) {
      if (err instanceof FrameTooLargeError || err instanceof FrameFormatError) {
        this.failed = true;
        this.parts = [];
        this.partsBytes = 0;
      }
      throw err;
    }
  }

  private readPrefix(chunk: Uint8Array, pos: number): number {
    const end = chunk.byteLength;
    while (pos < end) {
      const b = chunk[pos++]!;
      this.prefixBytes++;
      this.prefixValue += (b & 0x7f) * this.prefixMul;
      this.prefixMul *= 0x80;
      if (this.prefixValue > this.maxFrameBytes) {
        throw new FrameTooLargeError(this.prefixValue, this.maxFrameBytes, 'receive');
      }
      if ((b & 0x80) === 0) {
        if (b === 0 && this.prefixBytes > 1) {
          throw new FrameFormatError('non-minimal frame length prefix');
        }
        this.need = this.prefixValue;
        this.prefixValue = 0;
        this.prefixMul = 1;
        this.prefixBytes = 0;
        return pos;
      }
      if (this.prefixBytes >= MAX_PREFIX_BYTES) {
        throw new FrameFormatError(`frame length prefix longer than ${MAX_PREFIX_BYTES} bytes`);
      }
    }
    return pos;
  }
}
