/**
 * ObjectFiles in memory, for tests and the simulator: files are byte arrays by path, a
 * commit replaces one in a single step, and nothing of a sink shows before it. See
 * protocol/src/ports/object-files.ts for the contract.
 */
import { concatBytes } from '../src/codec/bytes.js';
import { ObjectSinkClosedError, type ObjectFiles, type ObjectSink, type ObjectSource } from '../src/ports/object-files.js';

/** A missing file (as ENOENT on disk). */
export class MemoryFileMissingError extends Error {
  override readonly name = 'MemoryFileMissingError';
  readonly code = 'ENOENT';
  constructor(readonly path: string) {
    super(`${path}: no such file`);
  }
}

export class MemoryObjectFiles implements ObjectFiles {
  readonly files = new Map<string, Uint8Array>();
  /** Sinks neither committed nor discarded (a test checks that none is left behind). */
  pendingSinks = 0;

  /** `pieceBytes`: the size of the pieces read() gives (small ones exercise the streaming). */
  constructor(private readonly pieceBytes = 1 << 20) {}

  async *read(path: string): ObjectSource {
    // The bytes as they are when reading starts, like an open file that is replaced meanwhile.
    const bytes = this.files.get(path);
    if (!bytes) throw new MemoryFileMissingError(path);
    for (let at = 0; at < bytes.length; at += this.pieceBytes) yield bytes.slice(at, at + this.pieceBytes);
  }

  async create(path: string): Promise<ObjectSink> {
    let parts: Uint8Array[] | undefined = [];
    this.pendingSinks++;
    const close = (): void => {
      parts = undefined;
      this.pendingSinks--;
    };
    return {
      write: async (bytes) => {
        if (!parts) throw new ObjectSinkClosedError(path);
        parts.push(bytes.slice());
      },
      commit: async (replace) => {
        if (!parts) throw new ObjectSinkClosedError(path);
        const whole = concatBytes(parts);
        let placed = false;
        try {
          placed = !replace || (await replace());
        } finally {
          close();
        }
        if (placed) this.files.set(path, whole);
        return placed;
      },
      discard: async () => {
        if (parts) close();
      },
    };
  }
}
