/**
 * How an entry travels through the shared remote tier: its Redis key, and its value signed with
 * HMAC-SHA256 or Ed25519 (ed25519.ts) over (namespace, entry key, payload). A value that is unsigned, tampered with,
 * signed with another key or copied from another namespace fails verification and is rejected.
 * Epochs are not part of it: the remote tier is content-addressed by (macro id, definition
 * fingerprint, signature key), and the plugin checks each hit's dependency hashes anyway.
 * @packageDocumentation
 */
import { createHmac, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { keyId, parsePrivateKey, parsePublicKey, publicPemOf } from './ed25519';
import { hash } from '../util/hash';
import type { Dependency, SerializedExpansion } from '../api/types';
import { decodePayload, encodePayload, type DecodedPayload } from './checksum';
import type { EntryKey } from './types';

/** Version tag at the start of every value; a different tag reads as unsigned. */
const TAG = 'cm1';
/** Prefix of every key this plugin writes, so an operator can find (and `SCAN`/`UNLINK`) them. */
export const KEY_PREFIX = 'cached-macros:v1:';

/** Version tag of values signed with Ed25519 (`cm2 <key id> <signature> <checksum>`). */
const ED_TAG = 'cm2';

/**
 * Who may read and write: the namespace and either the HMAC key, or (when `publicKeys` is not
 * empty) the trusted Ed25519 public keys and, for writers, the private key.
 */
export interface Signer {
  readonly namespace: string;
  readonly signingKey: string;
  readonly publicKeys?: readonly string[];
  readonly privateKey?: string;
}

/** Why a value was rejected. */
export type Rejection = 'unsigned' | 'bad-signature' | 'unknown-key' | 'malformed';

/** The trusted public keys by key id (the writer's own included). */
function trusted(signer: Signer): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  for (const pem of signer.publicKeys ?? []) {
    const k = parsePublicKey(pem);
    if (k) out.set(keyId(k), k);
  }
  const priv = signer.privateKey ? parsePrivateKey(signer.privateKey) : null;
  if (priv) {
    const pub = parsePublicKey(publicPemOf(priv));
    if (pub) out.set(keyId(pub), pub);
  }
  return out;
}

/** The Redis key of an entry: namespaced, and hashed so any macro id or signature key fits. */
export function remoteKey(namespace: string, key: EntryKey): string {
  return `${KEY_PREFIX}${namespace}:${hash(JSON.stringify([key.macroId, key.fingerprint, key.sigKey]))}`;
}

function signedText(signer: Signer, key: EntryKey, checksum: string, payload: string): Buffer {
  // JSON-encoding the parts keeps the signed text unambiguous.
  return Buffer.from(`${JSON.stringify([signer.namespace, key.macroId, key.fingerprint, key.sigKey, checksum])}\n${payload}`);
}

function signature(signer: Signer, key: EntryKey, checksum: string, payload: string): string {
  return createHmac('sha256', signer.signingKey).update(signedText(signer, key, checksum, payload)).digest('hex');
}

/**
 * The stored value: `cm1 <hmac> <checksum>\n<payload>`. The payload and checksum are the local
 * tiers' (checksum.ts), so a verified value decodes exactly like a local row.
 */
export function encodeRemoteValue(signer: Signer, key: EntryKey, expansion: SerializedExpansion, deps: readonly Dependency[]): string {
  const { payload, checksum } = encodePayload(key, expansion, deps);
  const priv = signer.privateKey ? parsePrivateKey(signer.privateKey) : null;
  if (priv) {
    const id = keyId(createPublicKey(priv));
    const sig = sign(null, signedText(signer, key, checksum, payload), priv).toString('base64');
    return `${ED_TAG} ${id} ${sig} ${checksum}\n${payload}`;
  }
  if (signer.publicKeys?.length) throw new Error('an Ed25519 reader cannot sign entries');
  return `${TAG} ${signature(signer, key, checksum, payload)} ${checksum}\n${payload}`;
}

/** Verifies and decodes a value read from `remoteKey(signer.namespace, key)`. */
export function decodeRemoteValue(signer: Signer, key: EntryKey, value: string): DecodedPayload | Rejection {
  const nl = value.indexOf('\n');
  const head = nl < 0 ? [] : value.slice(0, nl).split(' ');
  if (signer.publicKeys?.length) {
    // Ed25519 mode: HMAC-signed values (cm1) are as good as unsigned here.
    if (head.length !== 4 || head[0] !== ED_TAG) return 'unsigned';
    const [, id, sig, checksum] = head;
    const pub = trusted(signer).get(id);
    if (!pub) return 'unknown-key';
    const payload = value.slice(nl + 1);
    if (!verify(null, signedText(signer, key, checksum, payload), pub, Buffer.from(sig, 'base64'))) return 'bad-signature';
    return decodePayload(key, payload, checksum) ?? 'malformed';
  }
  if (head.length !== 3 || head[0] !== TAG || !/^[0-9a-f]{64}$/.test(head[1])) return 'unsigned';
  const [, mac, checksum] = head;
  const payload = value.slice(nl + 1);
  const expected = Buffer.from(signature(signer, key, checksum, payload), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return 'bad-signature';
  return decodePayload(key, payload, checksum) ?? 'malformed';
}
