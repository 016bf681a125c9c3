/**
 * A group: the call sites of one (macro, signature) pair in one file. The plugin looks each
 * group up once and runs its generator at most once.
 */
import type { CallSite } from './call-sites';
import type { ExpansionTemplate } from '../template/expansion';
import type { MacroDefinition } from '../load/macro-loader';
import type { EntryKey } from '../store/types';
import type { MacroReport, Signature } from '../api/types';

/** The call sites of one (macro, signature) pair in this file. */
export interface Group {
  readonly def: MacroDefinition;
  readonly sig: Signature;
  readonly sites: CallSite[];
  readonly report: MacroReport;
  template?: ExpansionTemplate;
}

/** The store key of a group. */
export function entryKey(g: Group): EntryKey {
  return { macroId: g.def.id, fingerprint: g.def.fingerprint, sigKey: g.sig.key };
}
