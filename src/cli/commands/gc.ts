/**
 * `cached-macros gc`: drops entries capped more than `--keep-epochs` epochs ago (and capped
 * entries of macros no longer recorded), then, with `--max-size`, drops more until the store
 * fits the budget: capped entries first (oldest epoch first), then open ones, oldest written
 * first. Finally the file is compacted so the freed space goes back to the file system.
 * @packageDocumentation
 */
import type { CommandContext } from '../context';
import { formatBytes, table } from '../format';

/** Options of `gc`. */
export interface GcOptions {
  /** Epochs of history kept: entries whose `maxEpoch` is older than `epoch - keepEpochs` go. */
  readonly keepEpochs: number;
  /** Size budget in bytes (database file + WAL), if any. */
  readonly maxSize?: number;
}

/** Default of `--keep-epochs`. */
export const DEFAULT_KEEP_EPOCHS = 10;

/** The `--json` document of `gc`. */
export interface GcReport {
  readonly cacheDir: string;
  readonly exists: boolean;
  readonly epoch: number;
  readonly keepEpochs: number;
  readonly maxSize: number | null;
  /** Entries dropped by the retention window, and by the size budget. */
  readonly dropped: { readonly retention: number; readonly size: number };
  readonly before: { readonly entries: number; readonly bytes: number };
  readonly after: { readonly entries: number; readonly bytes: number };
}

/** Runs `gc`; exit code 0 (a missing store has nothing to collect). */
export function gc(ctx: CommandContext, options: GcOptions): number {
  const report = ctx.withStore((store): GcReport => {
    const none = { entries: 0, bytes: 0 };
    const base = { cacheDir: ctx.cacheDir, keepEpochs: options.keepEpochs, maxSize: options.maxSize ?? null };
    if (!store) return { ...base, exists: false, epoch: 0, dropped: { retention: 0, size: 0 }, before: none, after: none };
    const before = store.stats();
    const retention = store.gc(options.keepEpochs);
    const size = options.maxSize === undefined ? 0 : store.trim(options.maxSize);
    store.compact();
    const after = store.stats();
    return {
      ...base,
      exists: true,
      epoch: after.epoch,
      dropped: { retention, size },
      before: { entries: before.entries, bytes: before.bytes },
      after: { entries: after.entries, bytes: after.bytes },
    };
  });
  ctx.print(() => render(report), () => report);
  return 0;
}

function render(r: GcReport): string {
  if (!r.exists) return `No store in ${r.cacheDir}: nothing to collect.`;
  const rows: Array<Array<string | number>> = [
    [`capped before epoch ${Math.max(0, r.epoch - r.keepEpochs)} (--keep-epochs ${r.keepEpochs})`, r.dropped.retention],
  ];
  if (r.maxSize !== null) rows.push([`over the size budget (--max-size ${formatBytes(r.maxSize)})`, r.dropped.size]);
  const lines = [
    table(['dropped', 'entries'], rows, ['left', 'right']),
    `entries ${r.before.entries} → ${r.after.entries}, size ${formatBytes(r.before.bytes)} → ${formatBytes(r.after.bytes)} (epoch ${r.epoch})`,
  ];
  if (r.maxSize !== null && r.after.bytes > r.maxSize) {
    lines.push(`note: an empty store takes ${formatBytes(r.after.bytes)}; every entry was dropped`);
  }
  return lines.join('\n');
}
