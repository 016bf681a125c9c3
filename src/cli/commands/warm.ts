/**
 * `cached-macros warm <globs…>`: fills the store by transforming the matching files with the
 * project's Babel config (as its build would, output discarded), so the first real build, a CI
 * job or a fresh checkout with a restored cache starts warm. One process, one build: each
 * macro definition is loaded and registered once.
 * @packageDocumentation
 */
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { closeAllStores } from '../../store';
import type { MacroReport } from '../../api/types';
import { BabelProject } from '../babel-project';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { table } from '../format';
import { progress } from '../progress';

/** Options of `warm`. */
export interface WarmOptions {
  /** Globs to leave out (besides `**\/node_modules/**`). */
  readonly ignore?: readonly string[];
  /** Show progress on stderr (default true; `--no-progress`). */
  readonly progress?: boolean;
  /** Whether `--cache-dir` was given: it then overrides the plugin's `cacheDir` option. */
  readonly cacheDirGiven: boolean;
}

type Counters = Pick<MacroReport, 'calls' | 'signatures' | 'generated' | 'memoryHits' | 'storeHits' | 'invalidations'>;

/** The `--json` document of `warm`. */
export interface WarmReport {
  /** The stores written (the plugin's `cacheDir`, or `--cache-dir`). */
  readonly cacheDirs: readonly string[];
  readonly files: { readonly matched: number; readonly transformed: number; readonly withMacros: number; readonly skipped: number; readonly failed: number };
  readonly totals: Counters;
  /** Per macro, named as imported (`schema.macro#validate`). */
  readonly macros: Readonly<Record<string, Counters>>;
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
  readonly errors: ReadonlyArray<{ readonly file: string; readonly message: string }>;
  readonly ms: number;
}

const COUNTERS: ReadonlyArray<keyof Counters> = ['calls', 'signatures', 'generated', 'memoryHits', 'storeHits', 'invalidations'];
const SHOWN_ERRORS = 10;

/** Runs `warm`; exit code 1 when a file failed to transform or no file uses the plugin. */
export function warm(ctx: CommandContext, globs: readonly string[], options: WarmOptions): number {
  const started = performance.now();
  const files = globSync([...globs], {
    cwd: ctx.cwd,
    absolute: true,
    onlyFiles: true,
    ignore: ['**/node_modules/**', ...(options.ignore ?? [])],
  }).sort();
  if (files.length === 0) throw new CliError(`no files match ${globs.map((g) => JSON.stringify(g)).join(' ')} in ${ctx.cwd}`);

  const project = new BabelProject(ctx.cwd, options.cacheDirGiven ? ctx.cacheDir : undefined);
  const bar = progress('warm', files.length, ctx.streams.stderr, options.progress !== false);
  const cacheDirs = new Set<string>();
  const totals = zero();
  const macros: Record<string, Counters> = {};
  const skipped: Array<{ file: string; reason: string }> = [];
  const errors: Array<{ file: string; message: string }> = [];
  let transformed = 0;
  let withMacros = 0;
  try {
    for (const file of files) {
      const rel = path.relative(ctx.cwd, file);
      try {
        const outcome = project.transform(file);
        if (outcome.kind === 'skipped') {
          skipped.push({ file: rel, reason: outcome.reason });
        } else {
          transformed++;
          cacheDirs.add(outcome.cacheDir);
          if (outcome.report) {
            withMacros++;
            for (const [name, m] of Object.entries(outcome.report.macros)) {
              add(totals, m);
              add((macros[name] ??= zero()), m);
            }
          }
        }
      } catch (e) {
        errors.push({ file: rel, message: e instanceof Error ? e.message : String(e) });
      }
      bar.tick(rel);
    }
  } finally {
    bar.stop();
    closeAllStores();
  }

  const report: WarmReport = {
    cacheDirs: [...cacheDirs].sort(),
    files: { matched: files.length, transformed, withMacros, skipped: skipped.length, failed: errors.length },
    totals,
    macros,
    skipped,
    errors,
    ms: Math.round(performance.now() - started),
  };
  ctx.print(() => render(report), () => report);
  if (!ctx.json) {
    for (const e of errors.slice(0, SHOWN_ERRORS)) ctx.note(`error in ${e.file}:\n${e.message}`);
    if (errors.length > SHOWN_ERRORS) ctx.note(`… and ${errors.length - SHOWN_ERRORS} more errors (--json lists them all)`);
  }
  if (transformed === 0 && errors.length === 0) {
    throw new CliError(`no file was transformed with babel-plugin-cached-macros: ${skipped[0]?.reason ?? 'no files'}`);
  }
  return errors.length > 0 ? 1 : 0;
}

function zero(): Counters {
  return { calls: 0, signatures: 0, generated: 0, memoryHits: 0, storeHits: 0, invalidations: 0 };
}

function add(into: Counters, m: Counters): void {
  for (const k of COUNTERS) into[k] += m[k];
}

function render(r: WarmReport): string {
  const lines: string[] = [];
  const names = Object.keys(r.macros).sort();
  if (names.length > 0) {
    const row = (name: string, c: Counters) => [name, c.calls, c.signatures, c.generated, c.storeHits + c.memoryHits, c.invalidations];
    lines.push(
      table(
        ['macro', 'calls', 'signatures', 'generated', 'hits', 'invalidated'],
        [...names.map((n) => row(n, r.macros[n])), row('total', r.totals)],
        ['left', 'right', 'right', 'right', 'right', 'right'],
      ),
    );
  }
  const f = r.files;
  lines.push(
    `warm: ${f.transformed} of ${f.matched} files transformed (${f.withMacros} with macros)` +
      (f.skipped ? `, ${f.skipped} skipped` : '') +
      (f.failed ? `, ${f.failed} failed` : '') +
      ` in ${r.ms} ms; ${r.totals.generated} generated, ${r.totals.storeHits + r.totals.memoryHits} hits` +
      (r.cacheDirs.length ? `; store: ${r.cacheDirs.join(', ')}` : ''),
  );
  const reasons = new Map<string, number>();
  for (const s of r.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
  for (const [reason, n] of reasons) lines.push(`skipped ${n} file${n === 1 ? '' : 's'}: ${reason}`);
  return lines.join('\n');
}
