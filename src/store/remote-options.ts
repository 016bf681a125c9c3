/**
 * What the remote tier is configured with, once validated (build/options.ts validates the
 * plugin's `remote` option into this): the store's own type, so store/ never imports build/.
 * @packageDocumentation
 */

/** Upper bound of `remote.timeoutMs` and `remote.connectTimeoutMs`: a build must never wait long on a cache. */
export const REMOTE_MAX_TIMEOUT_MS = 5_000;

/** Validated remote options with defaults filled in. */
export interface ResolvedRemoteOptions {
  readonly url: string;
  readonly namespace: string;
  /** HMAC key; empty in Ed25519 mode. */
  readonly signingKey: string;
  /** Trusted Ed25519 public keys (PEM); empty in HMAC mode. */
  readonly publicKeys: readonly string[];
  /** Ed25519 private key (PEM), or empty: then the tier is read-only. */
  readonly privateKey: string;
  readonly readOnly: boolean;
  readonly signLocal: boolean;
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
