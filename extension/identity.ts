/**
 * The user's Weft identity: an Ed25519 seed kept in VS Code's SecretStorage (the OS
 * keychain on desktop), created on first use. Never written to settings or logs.
 */
import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';
import { fromHex, signingKeyPairFromSeed, toHex, type SigningKeyPair } from '../protocol/src/index.js';

const SEED_KEY = 'weft.identity.seed';

export class Identity {
  private loading: Promise<SigningKeyPair> | undefined;

  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The key pair, created and stored on first use. Concurrent callers share one load. */
  keyPair(): Promise<SigningKeyPair> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async load(): Promise<SigningKeyPair> {
    const stored = await this.secrets.get(SEED_KEY);
    if (stored && /^[0-9a-f]{64}$/.test(stored)) return signingKeyPairFromSeed(fromHex(stored));
    const seed = new Uint8Array(randomBytes(32));
    await this.secrets.store(SEED_KEY, toHex(seed));
    return signingKeyPairFromSeed(seed);
  }
}
