/** Decryption or unsealing failed: wrong key, wrong recipient, or altered data. */
export class DecryptError extends Error {
  override readonly name = 'DecryptError';
}

/** A textual public key could not be read; the message says what to fix. */
export class KeyTextError extends Error {
  override readonly name = 'KeyTextError';
}
