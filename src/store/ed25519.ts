/**
 * Ed25519 keys of the shared tier: CI signs with the private key, every reader verifies with
 * the public keys it trusts. Each signature names its key by a key id, so keys can be rotated
 * (trust old and new, then drop the old) and entries signed by an unknown key are misses.
 * @packageDocumentation
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { hash } from '../util/hash';

const publicKeys = new Map<string, KeyObject | null>();
const privateKeys = new Map<string, KeyObject | null>();

/** The Ed25519 key `create` makes of `pem`, or null when it is not one; memoised in `cache`. */
function parseKey(cache: Map<string, KeyObject | null>, create: (pem: string) => KeyObject, pem: string): KeyObject | null {
  if (!cache.has(pem)) {
    let key: KeyObject | null = null;
    try {
      const k = create(pem);
      if (k.asymmetricKeyType === 'ed25519') key = k;
    } catch {
      // not a key
    }
    cache.set(pem, key);
  }
  return cache.get(pem) ?? null;
}

/** The Ed25519 public key in `pem` (SPKI), or null when it is not one. Parsed once per process. */
export function parsePublicKey(pem: string): KeyObject | null {
  return parseKey(publicKeys, createPublicKey, pem);
}

/** The Ed25519 private key in `pem` (PKCS#8), or null when it is not one. */
export function parsePrivateKey(pem: string): KeyObject | null {
  return parseKey(privateKeys, createPrivateKey, pem);
}

/** A public key's id: 16 hex characters of the hash of its SPKI bytes (printed by `keyIdOf` in docs). */
export function keyId(publicKey: KeyObject): string {
  return hash(publicKey.export({ format: 'der', type: 'spki' })).slice(0, 16);
}

/** The PEM of the public half of a private key. */
export function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }) as string;
}
