/**
 * The stored form of an entry's payload (expansion + dependencies) and its checksum.
 * The checksum also covers the entry's key, so a damaged key column cannot make a row answer
 * for another key: a bad row reads as a miss, never as wrong code.
 * @packageDocumentation
 */
import { hash } from '../util/hash';
import type { Dependency, HelperImport, SerializedExpansion } from '../api/types';
import type { EntryKey } from './types';

/** A payload ready to store. */
export interface EncodedPayload {
  /** JSON text of `{ e: expansion, d: deps }`. */
  readonly payload: string;
  /** {@link hash} of the key and the payload. */
  readonly checksum: string;
}

/** The decoded, verified content of an entry. */
export interface DecodedPayload {
  readonly expansion: SerializedExpansion;
  readonly deps: readonly Dependency[];
}

function checksumOf(key: EntryKey, payload: string): string {
  // JSON-encoding the key parts keeps the concatenation unambiguous.
  return hash(`${JSON.stringify([key.macroId, key.fingerprint, key.sigKey])}\n${payload}`);
}

/** Serialises an entry's payload and computes its checksum. */
export function encodePayload(
  key: EntryKey,
  expansion: SerializedExpansion,
  deps: readonly Dependency[],
): EncodedPayload {
  const payload = JSON.stringify({ e: expansion, d: deps });
  return { payload, checksum: checksumOf(key, payload) };
}

/**
 * Verifies and parses a stored payload. Returns undefined when the checksum does not match, the
 * JSON does not parse, or the parsed value does not have the expected shape.
 */
export function decodePayload(key: EntryKey, payload: unknown, checksum: unknown): DecodedPayload | undefined {
  if (typeof payload !== 'string' || typeof checksum !== 'string') return undefined;
  if (checksumOf(key, payload) !== checksum) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isObject(value) || !isExpansion(value.e) || !Array.isArray(value.d) || !value.d.every(isDependency)) {
    return undefined;
  }
  return { expansion: value.e, deps: value.d };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function isExpansion(v: unknown): v is SerializedExpansion {
  return (
    isObject(v) &&
    (v.hoist === null || typeof v.hoist === 'string') &&
    typeof v.inline === 'string' &&
    Array.isArray(v.helpers) &&
    v.helpers.every(isHelper)
  );
}

function isHelper(v: unknown): v is HelperImport {
  return isObject(v) && typeof v.placeholder === 'string' && typeof v.source === 'string' && typeof v.name === 'string';
}

function isDependency(v: unknown): v is Dependency {
  if (!isObject(v) || typeof v.hash !== 'string') return false;
  return (v.kind === 'file' && typeof v.path === 'string') || (v.kind === 'env' && typeof v.name === 'string') || v.kind === 'env-list';
}
