/**
 * `cached-macros stats`: the store's epoch, size and entries, and per macro its current
 * definition fingerprint, the epoch it was recorded in, its entries and its hits.
 * @packageDocumentation
 */
import type { StoreStats } from '../../store/types';
import type { CommandContext } from '../context';
import { formatBytes, shortFingerprint, table } from '../format';

/** The `--json` document of `stats`. */
export interface StatsReport extends StoreStats {
  readonly cacheDir: string;
  /** False when the cache directory holds no store yet (every figure is then 0). */
  readonly exists: boolean;
}

const EMPTY: StoreStats = { epoch: 0, entries: 0, openEntries: 0, bytes: 0, macros: [] };

/** Runs `stats`; always exit code 0 (a missing store is an empty one). */
export function stats(ctx: CommandContext): number {
  const report: StatsReport = ctx.withStore((store) => ({
    cacheDir: ctx.cacheDir,
    exists: store !== null,
    ...(store ? store.stats() : EMPTY),
  }), { readOnly: true });
  ctx.print(() => render(report), () => report);
  return 0;
}

function render(r: StatsReport): string {
  if (!r.exists) return `No store in ${r.cacheDir} yet: it is created by the first build (or \`cached-macros warm\`).`;
  const summary = table(
    ['store', 'epoch', 'entries (open / all)', 'size'],
    [[r.cacheDir, r.epoch, `${r.openEntries} / ${r.entries}`, formatBytes(r.bytes)]],
  );
  if (r.macros.length === 0) return `${summary}\nNo cached macro recorded yet.`;
  const macros = table(
    ['macro', 'fingerprint', 'since epoch', 'entries', 'hits'],
    r.macros.map((m) => [m.macroId, shortFingerprint(m.fingerprint), m.sinceEpoch, m.entries, m.hits]),
    ['left', 'left', 'right', 'right', 'right'],
  );
  return `${summary}\n${macros}`;
}
