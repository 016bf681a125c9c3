/**
 * The ledger's decisions, shared by its SQLite and in-memory implementations so that each rule
 * is written once: each implementation reads the recorded state and applies the decision in its
 * own transaction (SQL) or directly (Maps).
 * @packageDocumentation
 */
import type { DefinitionResult } from './types';

/** A macro's recorded definition, as the rules need it. */
export interface RecordedDefinition {
  readonly fingerprint: string;
  /** The epoch the definition was recorded in. */
  readonly sinceEpoch: number;
}

/** What registering `fingerprint` does, given the record and the current epoch `now`. */
export interface Registration {
  readonly result: DefinitionResult;
  /**
   * `'record'`: a first sighting, recorded at `now` without a bump. `'bump'`: the definition
   * changed: the epoch becomes `now + 1`, the macro's other open entries are capped at `now`,
   * retained entries of `fingerprint` are revived, the record moves to `now + 1`. `null`: nothing.
   */
  readonly action: 'record' | 'bump' | null;
}

/** Decides a definition registration (see {@link Ledger.registerDefinition}). */
export function decideRegistration(recorded: RecordedDefinition | undefined, fingerprint: string, now: number): Registration {
  if (!recorded) return { result: { epoch: now, bumped: false, previous: null }, action: 'record' };
  if (recorded.fingerprint === fingerprint) return { result: { epoch: now, bumped: false, previous: fingerprint }, action: null };
  return { result: { epoch: now + 1, bumped: true, previous: recorded.fingerprint }, action: 'bump' };
}

/**
 * The `maxEpoch` a new entry is stored with: null (open), or, for a late writer of a superseded
 * definition, the epoch before the current definition was recorded: valid for builds that
 * pinned the old world, never left open (a revert can still revive it).
 */
export function insertCap(recorded: RecordedDefinition | undefined, fingerprint: string): number | null {
  return recorded && recorded.fingerprint !== fingerprint ? recorded.sinceEpoch - 1 : null;
}

/** The result of capping `capped` entries at epoch `now`: one bump when any was still open. */
export function invalidation(now: number, capped: number): DefinitionResult {
  return capped > 0 ? { epoch: now + 1, bumped: true, previous: null } : { epoch: now, bumped: false, previous: null };
}
