/**
 * The Babel plugin: thin glue between Babel and {@link expandFile}. The factory creates a
 * {@link Build} and keys `api.cache` on the stats of every macro definition file known so far,
 * so Babel re-creates the plugin (a new build, with the changed macro loaded afresh) when one
 * is edited; it also reports those files as external dependencies for watchers and loaders.
 */
import type { ConfigAPI, PluginObj, PluginPass } from '@babel/core';
import { Build } from './build';
import { expandFile } from './expand-file';
import { statSnapshot } from './fingerprint';
import { loadedModules } from './macro-loader';
import { resolveOptions, type PluginOptions } from './options';
import type { FileReport } from './types';

type Api = ConfigAPI & { version: string; addExternalDependency?: (file: string) => void; assertVersion(v: number | string): void };

/** Key under which each file's report is stored in `file.metadata`. */
export const METADATA_KEY = 'cachedMacros';

/** Definition files of every macro module this process has loaded. */
function knownDefinitionFiles(): string[] {
  return [...new Set(loadedModules().flatMap((m) => m.graph.files))].sort();
}

export default function cachedMacrosPlugin(api: Api, rawOptions: PluginOptions): PluginObj<PluginPass> {
  api.assertVersion(7);
  const babelMajor = Number(api.version.split('.')[0]);
  const builds = new Map<string, Build>();
  // The same build (pinned definitions and epoch) until a file it read changes on disk: then
  // Babel calls this factory again and the next file starts a new build (watch mode, Jest).
  api.cache.using(() => {
    for (const build of builds.values()) {
      const changed = build.changedFile();
      if (changed) return `changed:${changed}:${statSnapshot([changed])}`;
    }
    return '';
  });
  // Babel takes external dependencies only here, not during traversal (babel/babel#16016).
  for (const f of knownDefinitionFiles()) api.addExternalDependency?.(f);

  return {
    name: 'cached-macros',
    visitor: {
      Program(program, state) {
        const cwd = state.file.opts.cwd ?? process.cwd();
        let build = builds.get(cwd);
        if (!build) {
          build = new Build(resolveOptions(rawOptions, cwd), babelMajor);
          builds.set(cwd, build);
        }
        const report: FileReport | null = expandFile(program, state.filename, cwd, build);
        if (report) (state.file.metadata as unknown as Record<string, unknown>)[METADATA_KEY] = report;
      },
    },
  };
}
