/**
 * `cached-macros clear`: drops every entry and macro record. The epoch is kept, so builds
 * running meanwhile still see a consistent, monotonic world; their next lookups simply miss.
 * @packageDocumentation
 */
import type { CommandContext } from '../context';
import { formatBytes } from '../format';

/** The `--json` document of `clear`. */
export interface ClearReport {
  readonly cacheDir: string;
  readonly exists: boolean;
  readonly dropped: { readonly entries: number; readonly macros: number };
  readonly bytes: { readonly before: number; readonly after: number };
}

/** Runs `clear`; exit code 0 (a missing store is already clear). */
export function clear(ctx: CommandContext): number {
  const report = ctx.withStore((store): ClearReport => {
    if (!store) return { cacheDir: ctx.cacheDir, exists: false, dropped: { entries: 0, macros: 0 }, bytes: { before: 0, after: 0 } };
    const before = store.stats();
    store.clear();
    store.compact();
    const after = store.stats();
    return {
      cacheDir: ctx.cacheDir,
      exists: true,
      dropped: { entries: before.entries - after.entries, macros: before.macros.length - after.macros.length },
      bytes: { before: before.bytes, after: after.bytes },
    };
  });
  ctx.print(
    () =>
      report.exists
        ? `Cleared ${report.dropped.entries} entries of ${report.dropped.macros} macros from ${report.cacheDir} ` +
          `(${formatBytes(report.bytes.before)} → ${formatBytes(report.bytes.after)}).`
        : `No store in ${report.cacheDir}: nothing to clear.`,
    () => report,
  );
  return 0;
}
