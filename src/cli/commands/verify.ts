/**
 * `cached-macros verify [macro]`: re-runs the cached generators of the matching macros (all by
 * default) on every stored open entry and reports entries whose expansion differs (an impure
 * generator: it read something it did not declare through `ctx`, or is nondeterministic) or
 * whose generator now throws. Exit code 1 when any does.
 * @packageDocumentation
 */
import { readLocalDigestKey } from '../../deps/env-digest';
import { babelRuntime } from '../../build/babel-runtime';
import { projectBabel } from '../babel-core';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { table, truncate } from '../format';
import { matchMacros } from '../macro-match';
import { verifyMacro, type VerifyResult, type VerifyStatus } from '../reverify';

/** Options of `verify`. */
export interface VerifyOptions {
  /** List every entry, not only the failures. */
  readonly verbose?: boolean;
}

/** Per-status counts. */
export type VerifyCounts = Record<VerifyStatus, number>;

/** The `--json` document of `verify`. */
export interface VerifyReport {
  readonly cacheDir: string;
  readonly ok: boolean;
  readonly totals: VerifyCounts;
  readonly macros: ReadonlyArray<{ readonly macroId: string } & VerifyCounts>;
  /** Every entry with `--verbose`; otherwise the mismatches and errors only. */
  readonly results: readonly VerifyResult[];
}

const KEY_WIDTH = 60;

/** Runs `verify`; exit code 1 when an entry mismatched or its generator failed. */
export function verify(ctx: CommandContext, pattern: string | undefined, options: VerifyOptions): number {
  const results = ctx.withStore((store) => {
    if (!store) return null;
    const recorded = matchMacros(store.definitions(), pattern);
    if (pattern !== undefined && recorded.length === 0) {
      throw new CliError(`no cached macro matches "${pattern}" in ${ctx.cacheDir} (\`cached-macros stats\` lists them)`);
    }
    const babel = babelRuntime(projectBabel(ctx.cwd));
    const envKey = readLocalDigestKey(ctx.cacheDir);
    return recorded.map((r) => ({ macroId: r.macroId, results: verifyMacro(r, store.entriesOf(r.macroId), ctx.cwd, babel, envKey) }));
  }, { readOnly: true });
  if (results === null) {
    if (pattern !== undefined) throw new CliError(`no store in ${ctx.cacheDir}`);
    ctx.print(() => `No store in ${ctx.cacheDir}: nothing to verify.`, () => ({ cacheDir: ctx.cacheDir, ok: true, totals: count([]), macros: [], results: [] }));
    return 0;
  }
  const all = results.flatMap((m) => m.results);
  const failed = all.filter((r) => r.status === 'mismatch' || r.status === 'error');
  const report: VerifyReport = {
    cacheDir: ctx.cacheDir,
    ok: failed.length === 0,
    totals: count(all),
    macros: results.map((m) => ({ macroId: m.macroId, ...count(m.results) })),
    results: options.verbose ? all : failed,
  };
  ctx.print(() => render(report), () => report);
  return report.ok ? 0 : 1;
}

function count(results: readonly VerifyResult[]): VerifyCounts {
  const c: VerifyCounts = { ok: 0, mismatch: 0, error: 0, skipped: 0 };
  for (const r of results) c[r.status]++;
  return c;
}

function render(r: VerifyReport): string {
  const lines = [
    table(
      ['macro', 'ok', 'mismatch', 'error', 'skipped'],
      r.macros.map((m) => [m.macroId, m.ok, m.mismatch, m.error, m.skipped]),
      ['left', 'right', 'right', 'right', 'right'],
    ),
  ];
  if (r.results.length > 0) {
    lines.push(
      table(
        ['macro', 'signature', 'status', 'reason'],
        r.results.map((x) => [x.macroId, truncate(x.sigKey, KEY_WIDTH), x.status, x.reason ?? '']),
      ),
    );
  }
  for (const x of r.results) {
    if (x.status !== 'mismatch' || !x.stored || !x.fresh) continue;
    lines.push(`${x.macroId} ${x.sigKey}`, '  stored:', indent(codeOf(x.stored)), '  re-run:', indent(codeOf(x.fresh)));
  }
  const t = r.totals;
  lines.push(
    r.ok
      ? `verified ${t.ok} entries: all reproduced${t.skipped ? ` (${t.skipped} skipped)` : ''}`
      : `${t.mismatch} entries differ and ${t.error} failed on re-run (${t.ok} reproduced, ${t.skipped} skipped): ` +
          'generators must be pure; read files and variables through ctx.readFile / ctx.env',
  );
  return lines.join('\n');
}

function codeOf(e: { hoist: string | null; inline: string }): string {
  return e.hoist === null ? e.inline : `hoist: ${e.hoist}\ninline: ${e.inline}`;
}

function indent(code: string): string {
  return code
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
