/**
 * How an entry travels through the shared remote tier: its Redis key, and its value signed with
 * HMAC-SHA256 over (namespace, entry key, payload). A value that is unsigned, tampered with,
 * signed with another key or copied from another namespace fails verification and is rejected.
 * Epochs are not part of it: the remote tier is content-addressed by (macro id, definition
 * fingerprint, signature key), and the plugin checks each hit's dependency hashes anyway.
 * @packageDocumentation
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hash } from '../util/hash';
import type { Dependency, SerializedExpansion } from '../api/types';
import { decodePayload, encodePayload, type DecodedPayload } from './checksum';
import type { EntryKey } from './types';

/** Version tag at the start of every value; a different tag reads as unsigned. */
const TAG = 'cm1';
/** Prefix of every key this plugin writes, so an operator can find (and `SCAN`/`UNLINK`) them. */
export const KEY_PREFIX = 'cached-macros:v1:';

/** Who may read and write: the namespace and the HMAC key. */
export interface Signer {
  readonly namespace: string;
  readonly signingKey: string;
}

/** Why a value was rejected. */
export type Rejection = 'unsigned' | 'bad-signature' | 'malformed';

/** The Redis key of an entry: namespaced, and hashed so any macro id or signature key fits. */
export function remoteKey(namespace: string, key: EntryKey): string {
  return `${KEY_PREFIX}${namespace}:${hash(JSON.stringify([key.macroId, key.fingerprint, key.sigKey]))}`;
}

function signature(signer: Signer, key: EntryKey, checksum: string, payload: string): string {
  // JSON-encoding the parts keeps the signed text unambiguous.
  const signed = `${JSON.stringify([signer.namespace, key.macroId, key.fingerprint, key.sigKey, checksum])}\n${payload}`;
  return createHmac('sha256', signer.signingKey).update(signed).digest('hex');
}

/**
 * The stored value: `cm1 <hmac> <checksum>\n<payload>`. The payload and checksum are the local
 * tiers' (checksum.ts), so a verified value decodes exactly like a local row.
 */
export function encodeRemoteValue(signer: Signer, key: EntryKey, expansion: SerializedExpansion, deps: readonly Dependency[]): string {
  const { payload, checksum } = encodePayload(key, expansion, deps);
  return `${TAG} ${signature(signer, key, checksum, payload)} ${checksum}\n${payload}`;
}

/** Verifies and decodes a value read from `remoteKey(signer.namespace, key)`. */
export function decodeRemoteValue(signer: Signer, key: EntryKey, value: string): DecodedPayload | Rejection {
  const nl = value.indexOf('\n');
  const head = nl < 0 ? [] : value.slice(0, nl).split(' ');
  if (head.length !== 3 || head[0] !== TAG || !/^[0-9a-f]{64}$/.test(head[1])) return 'unsigned';
  const [, mac, checksum] = head;
  const payload = value.slice(nl + 1);
  const expected = Buffer.from(signature(signer, key, checksum, payload), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(mac, 'hex'))) return 'bad-signature';
  return decodePayload(key, payload, checksum) ?? 'malformed';
}
