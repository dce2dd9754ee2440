/** Why a sync session refused a message or gave up. */
export type SyncProtocolErrorCode =
  | 'bad-answer' // the peer claims to have answered requests we never sent, or its count went back
  | 'incomplete'; // the peer advertises commits it does not deliver (repair rounds exhausted)

export class SyncProtocolError extends Error {
  override readonly name = 'SyncProtocolError';
  constructor(
    readonly code: SyncProtocolErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
