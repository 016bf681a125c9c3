/**
 * The project's own `@babel/core`: `warm` must transform files with the Babel the project builds
 * with, and definition fingerprints include its major version. Falls back to the copy next to
 * this package when the project has none of its own.
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import path from 'node:path';

type BabelCore = typeof import('@babel/core');

/** `@babel/core` as resolved from `cwd`, else this package's. */
export function projectBabel(cwd: string): BabelCore {
  const fromProject = createRequire(path.join(cwd, 'package.json'));
  try {
    return fromProject('@babel/core') as BabelCore;
  } catch {
    return require('@babel/core') as BabelCore;
  }
}
