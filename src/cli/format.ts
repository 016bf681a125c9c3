/**
 * Formatting and parsing of the values the CLI shows and accepts: byte sizes, fingerprints,
 * epochs, long signature keys, and human-readable tables (cli-table3, no colours, so output is
 * the same in a terminal, a pipe and a test).
 * @packageDocumentation
 */
import Table from 'cli-table3';
import path from 'node:path';
import { dependencyFile } from '../deps/dependency-check';
import type { Dependency } from '../api/types';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a size such as `1048576`, `512k`, `10mb`, `1.5GiB` (case-insensitive; k, m and g are
 * powers of 1024). Returns undefined for anything else.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2].toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

/** `1234567` → `1.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

/** The first 8 hex digits of a fingerprint: enough to tell definitions apart in a table. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 8);
}

/** `[minEpoch, maxEpoch]` as `3–5`, or `3–` while the entry is open. */
export function formatEpochs(minEpoch: number, maxEpoch: number | null): string {
  return maxEpoch === null ? `${minEpoch}–` : `${minEpoch}–${maxEpoch}`;
}

/** Cuts `text` to `max` characters with `…` (for table cells; JSON output is never cut). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A recorded dependency for humans: `file src/x.json` (relative to cwd when inside it), `env NAME` or `env (list of names)`. */
export function formatDependency(dep: Dependency, cwd: string): string {
  if (dep.kind === 'env') return `env ${dep.name}`;
  if (dep.kind === 'env-list') return 'env (list of names)';
  const abs = dependencyFile(cwd, dep.path); // stored relative to the project root
  const rel = path.relative(cwd, abs);
  return `file ${rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel}`;
}

/** Renders rows under a header as a plain table. */
export function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, align?: ReadonlyArray<'left' | 'right'>): string {
  const t = new Table({
    head: [...head],
    style: { head: [], border: [], compact: true },
    ...(align ? { colAligns: [...align] } : {}),
  });
  for (const row of rows) t.push(row.map(String));
  return t.toString();
}
