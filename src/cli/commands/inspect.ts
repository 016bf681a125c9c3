/**
 * `cached-macros inspect <macro>`: the stored entries of the macros whose id contains
 * `<macro>`: signature keys, the definition they belong to, their epochs and recorded
 * dependencies, and the expansion code (printed as stored: @babel/generator output).
 * @packageDocumentation
 */
import type { Entry } from '../../store/types';
import type { Dependency, SerializedExpansion } from '../../api/types';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { formatDependency, formatEpochs, shortFingerprint, table, truncate } from '../format';
import { matchMacros } from '../macro-match';

/** Options of `inspect`. */
export interface InspectOptions {
  /** Only entries still valid (not capped by a later epoch). */
  readonly open?: boolean;
  /** Print expansions' code (default true; `--no-code`). */
  readonly code?: boolean;
}

/** One entry in the `--json` document. */
export interface InspectedEntry {
  readonly sigKey: string;
  readonly fingerprint: string;
  /** Whether the entry belongs to the macro's current (last recorded) definition. */
  readonly current: boolean;
  readonly minEpoch: number;
  readonly maxEpoch: number | null;
  readonly open: boolean;
  readonly deps: readonly Dependency[];
  readonly expansion: SerializedExpansion;
}

/** One macro in the `--json` document (an array of these). */
export interface InspectedMacro {
  readonly macroId: string;
  readonly fingerprint: string;
  readonly files: readonly string[];
  readonly entries: readonly InspectedEntry[];
}

const KEY_WIDTH = 60;

/** Runs `inspect`; exit code 1 when no recorded macro matches. */
export function inspect(ctx: CommandContext, pattern: string, options: InspectOptions): number {
  const macros = ctx.withStore((store): InspectedMacro[] => {
    const matched = matchMacros(store?.definitions() ?? [], pattern);
    return matched.map((def) => ({
      macroId: def.macroId,
      fingerprint: def.fingerprint,
      files: def.files,
      entries: (store?.entriesOf(def.macroId) ?? [])
        .filter((e) => !options.open || e.maxEpoch === null)
        .map((e) => inspected(e, def.fingerprint)),
    }));
  }, { readOnly: true });
  if (macros.length === 0) {
    throw new CliError(`no cached macro matches "${pattern}" in ${ctx.cacheDir} (\`cached-macros stats\` lists them)`);
  }
  ctx.print(() => macros.map((m) => render(m, ctx.cwd, options.code !== false)).join('\n'), () => macros);
  return 0;
}

function inspected(e: Entry, current: string): InspectedEntry {
  return {
    sigKey: e.sigKey,
    fingerprint: e.fingerprint,
    current: e.fingerprint === current,
    minEpoch: e.minEpoch,
    maxEpoch: e.maxEpoch,
    open: e.maxEpoch === null,
    deps: e.deps,
    expansion: e.expansion,
  };
}

function render(m: InspectedMacro, cwd: string, code: boolean): string {
  const lines = [`${m.macroId}  (definition ${shortFingerprint(m.fingerprint)}, ${m.entries.length} entries)`];
  if (m.entries.length === 0) return `${lines[0]}\n  no stored entries\n`;
  lines.push(
    table(
      ['#', 'signature', 'definition', 'epochs', 'dependencies'],
      m.entries.map((e, i) => [
        i + 1,
        truncate(e.sigKey, KEY_WIDTH),
        `${shortFingerprint(e.fingerprint)}${e.current ? '' : ' (old)'}`,
        formatEpochs(e.minEpoch, e.maxEpoch),
        e.deps.map((d) => formatDependency(d, cwd)).join('\n') || '-',
      ]),
    ),
  );
  if (code) {
    m.entries.forEach((e, i) => {
      lines.push(`#${i + 1} ${e.sigKey}`);
      if (e.expansion.hoist !== null) lines.push('  hoist:', indent(e.expansion.hoist, 4));
      lines.push('  inline:', indent(e.expansion.inline, 4));
      for (const h of e.expansion.helpers) lines.push(`  helper: ${h.placeholder} = import { ${h.name} } from ${JSON.stringify(h.source)}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

function indent(code: string, n: number): string {
  const pad = ' '.repeat(n);
  return code
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
