/** Why a decoder refused its input. Every decoder throws only this type. */
export type DecodeErrorCode =
  | 'truncated' // input ended inside a field
  | 'overflow' // an integer does not fit in 53 bits
  | 'too-large' // a length or count is beyond the decoder's limit
  | 'malformed' // a value is outside its domain (bad tag, bad utf-8, trailing bytes, ...)
  | 'version'; // an unknown format version

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly code: DecodeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Runs a decoder and turns any non-DecodeError exception into a DecodeError('malformed'). */
export function decodeSafely<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError('malformed', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
