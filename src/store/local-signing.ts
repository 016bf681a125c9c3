/**
 * How rows of the local SQLite store are sealed. By default with the unkeyed checksum
 * (checksum.ts), which catches damage but not tampering. With `remote.signLocal`, with the
 * shared tier's signature (remote-entry.ts), so a cache directory restored from another,
 * untrusted CI job is verified like Redis values: a row whose signature fails is a miss.
 * @packageDocumentation
 */
import type { Dependency, SerializedExpansion } from '../api/types';
import { decodePayload, encodePayload, type DecodedPayload, type EncodedPayload } from './checksum';
import { decodeRemoteValue, encodeRemoteValue, type Signer } from './remote-entry';
import type { EntryKey } from './types';

/** Marks a checksum column holding a signature header (`sig:cm1 …` / `sig:cm2 …`). */
const SIGNED = 'sig:';

/** Encodes rows for storing and verifies them when read. */
export interface RowCodec {
  /** The row's payload and checksum column; null when this codec cannot seal (a reader without the private key). */
  encode(key: EntryKey, expansion: SerializedExpansion, deps: readonly Dependency[]): EncodedPayload | null;
  /** The verified content, or undefined (a miss). */
  decode(key: EntryKey, payload: unknown, checksum: unknown): DecodedPayload | undefined;
}

/** Checksummed rows; signed rows are accepted on their inner checksum (signing is an opt-in). */
export const plainCodec: RowCodec = {
  encode: encodePayload,
  decode(key, payload, checksum) {
    if (typeof checksum === 'string' && checksum.startsWith(SIGNED)) checksum = checksum.slice(checksum.lastIndexOf(' ') + 1);
    return decodePayload(key, payload, checksum);
  },
};

/** Rows signed with `signer`'s keys: unsigned rows, bad signatures and unknown keys are misses. */
export function signedCodec(keys: Signer): RowCodec {
  // Signed under a fixed domain, not the shared tier's namespace: a cache restored from a job
  // using another namespace still verifies, and a row never passes for a Redis value or back.
  const signer: Signer = { ...keys, namespace: '\0local-store' };
  const canSign = signer.publicKeys?.length ? Boolean(signer.privateKey) : signer.signingKey !== '';
  return {
    encode(key, expansion, deps) {
      if (!canSign) return null;
      const value = encodeRemoteValue(signer, key, expansion, deps);
      const nl = value.indexOf('\n');
      return { payload: value.slice(nl + 1), checksum: SIGNED + value.slice(0, nl) };
    },
    decode(key, payload, checksum) {
      if (typeof payload !== 'string' || typeof checksum !== 'string' || !checksum.startsWith(SIGNED)) return undefined;
      const r = decodeRemoteValue(signer, key, `${checksum.slice(SIGNED.length)}\n${payload}`);
      return typeof r === 'string' ? undefined : r;
    },
  };
}
