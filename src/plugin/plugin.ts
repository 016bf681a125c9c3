/**
 * The Babel plugin: thin glue between Babel and {@link expandFile}.
 *
 * A {@link Build} lives until a file it read (a macro definition file, a file an expansion
 * read) changes on disk: `api.cache` is keyed on that, so Babel calls the factory again and the
 * next file starts a new build, with the changed macro loaded afresh (watch mode, Jest).
 *
 * Babel takes external dependencies only in the factory (babel/babel#16016), so the factory
 * reports everything known to affect output (see {@link ExternalDependencies}); when a transform
 * depends on a file the report lacks, `api.cache` also changes, and the next file gets a factory
 * run that reports it — with the same build, so the build keeps its pinned epoch.
 */
import fs from 'fs';
import path from 'path';
import type { ConfigAPI, PluginObj, PluginPass } from '@babel/core';
import { babelRuntime, type BabelCoreLike } from '../build/babel-runtime';
import { Build } from '../build/build';
import { manifestFor } from '../deps/dependency-manifest';
import { expandFile } from '../expand/expand-file';
import { CONTROL_DIR, ExternalDependencies } from '../deps/external-dependencies';
import { warnOnce } from '../util/log';
import { loadedModules } from '../load/macro-loader';
import { isMacroSource, resolveOptions, type PluginOptions, type ResolvedOptions } from '../build/options';
import { mayUseMacros } from '../expand/import-sources';
import { openLedger } from '../store';
import { STORE_FILE } from '../store/sqlite-open';
import { session } from '../build/session';
import type { FileReport } from '../api/types';

type Api = ConfigAPI & BabelCoreLike & { addExternalDependency?: (file: string) => void; assertVersion(v: number | string): void };

/** The Babel majors this plugin supports (peerDependencies say the same). */
export const BABEL_RANGE = '^7.17.0 || ^8.0.0';

/** Babel `caller` name of this package's Jest transformer (babel-jest's is `babel-jest`). */
export const JEST_CALLER = 'babel-plugin-cached-macros/jest';

/**
 * Under plain babel-jest, Jest's cache key covers neither macro definitions nor what they read
 * (jest issue 8932): say so once per process, with the fix.
 */
function warnUnderBabelJest(api: Api): void {
  if (api.caller?.((c) => c?.name) !== 'babel-jest') return;
  warnOnce(
    'babel-jest',
    "running under babel-jest, whose cache does not see macro definitions or the files and variables macros read: after editing them Jest serves stale output until --no-cache. Use this package's transformer in jest.config.js: transform: { '\\.[jt]sx?$': 'babel-plugin-cached-macros/jest' }",
  );
}

/** Key under which each file's report is stored in `file.metadata`. */
export const METADATA_KEY = 'cachedMacros';

/** Marks the plugin function, so the Jest transformer finds it in a Babel config (two copies of the package agree). */
export const PLUGIN_BRAND = Symbol.for('babel-plugin-cached-macros.plugin');

/** Files known to affect the output of builds with these options: the manifest's, the store's, this process's. */
function knownFiles(options: ResolvedOptions): string[] {
  const files = manifestFor(options).files();
  // Only a store that exists: a config whose files use no macro must not create one.
  if (options.store === 'fs' && fs.existsSync(path.join(options.cacheDir, STORE_FILE))) {
    for (const d of openLedger({ kind: 'fs', cacheDir: options.cacheDir }).definitions()) files.push(...d.files);
  }
  for (const m of loadedModules()) files.push(...m.graph.files);
  return files;
}

/**
 * After each file, before its result leaves Babel (Jest's keys and babel-loader's cache look
 * next): records what the build found out in the manifest, and checks the report covered it.
 */
function afterFile(build: Build, report: ExternalDependencies): void {
  const { recorded } = session();
  if (recorded.get(build) !== build.observed.version) {
    manifestFor(build.options).record(build.observed.entries());
    recorded.set(build, build.observed.version);
  }
  report.check(build.observed);
}

/** A stable string for the raw options (RegExps included); a unique one when they cannot be serialised. */
function optionsKey(raw: unknown): string {
  try {
    return JSON.stringify(raw ?? {}, (_k, v: unknown) => (v instanceof RegExp ? `/${v.source}/${v.flags}` : v));
  } catch {
    return `unserialisable:${Math.random()}`; // no hand-over then: a new build per factory run
  }
}

/**
 * The plugin as the published types describe it: no type from `@babel/core` (Babel 7's come from
 * @types/babel__core, Babel 8's from the package itself, under other names), so the `.d.ts`
 * check against either major.
 */
export type CachedMacrosPlugin = (api: object, options: PluginOptions) => { name: string; visitor: object };

function cachedMacrosPlugin(api: Api, rawOptions: PluginOptions): PluginObj<PluginPass> {
  api.assertVersion(BABEL_RANGE);
  const babel = babelRuntime(api);
  warnUnderBabelJest(api);
  const key = optionsKey(rawOptions);
  // Babel's cwd is not known here; process.cwd() is its default (babel-loader, babel-jest).
  const options = resolveOptions(rawOptions, process.cwd());
  const report = new ExternalDependencies(knownFiles(options), options.store === 'fs' ? path.join(options.cacheDir, CONTROL_DIR) : null);
  // Builds handed over, by options, from an instance whose report turned out incomplete, so
  // this run keeps them (their pinned epochs). An instance replaced because a file changed
  // hands nothing over: its successor starts new builds.
  const own = session();
  const builds = new Map<string, Build>();
  for (const [cwd, build] of own.handoff.get(key) ?? []) if (build.changedFile() === null) builds.set(cwd, build);
  own.handoff.delete(key);
  // Once this instance is outdated it stays so: Babel checks every older instance per file.
  let outdated = '';
  api.cache.using(() => {
    if (outdated) return outdated;
    // Its session was disposed: what it loaded and opened is gone, so a new factory run starts afresh.
    if (own.isDisposed) return (outdated = 'disposed');
    for (const build of builds.values()) {
      const changed = build.changedFile();
      if (changed) return (outdated = `changed:${changed}`);
    }
    if (report.missing !== null) {
      own.handoff.set(key, builds);
      return (outdated = `unreported:${report.missing}`);
    }
    return '';
  });
  for (const f of report.files) api.addExternalDependency?.(f);

  return {
    name: 'cached-macros',
    visitor: {
      Program(program, state) {
        const cwd = state.file.opts.cwd ?? process.cwd();
        const root = path.resolve(cwd, state.file.opts.root ?? cwd);
        const buildKey = `${cwd}\0${root}`;
        let build = builds.get(buildKey);
        if (!build) {
          build = new Build(resolveOptions(rawOptions, cwd), babel, root);
          builds.set(buildKey, build);
        }
        let fileReport: FileReport | null = null;
        try {
          // Most files of a build use no macro: answer them without building paths or scanning scopes.
          if (mayUseMacros(program.node, state.file.code, (s) => isMacroSource(s, build.options), true)) {
            fileReport = expandFile(program, state.filename, cwd, build, { babel: api, state });
          }
        } finally {
          afterFile(build, report);
        }
        if (fileReport) (state.file.metadata as unknown as Record<string, unknown>)[METADATA_KEY] = fileReport;
      },
    },
  };
}

Object.defineProperty(cachedMacrosPlugin, PLUGIN_BRAND, { value: true });

export default cachedMacrosPlugin as unknown as CachedMacrosPlugin;
