/**
 * Vite/Rollup plugin (`babel-plugin-cached-macros/vite`), used beside a Babel bridge
 * (vite-plugin-babel, @rolldown/plugin-babel) that runs the Babel plugin. The bridges ignore
 * Babel's external dependencies, so neither `vite build --watch` nor the dev server knew that a
 * module's output depends on the macros it imports and the files they read. This plugin adds,
 * for each transformed module importing macros, the macro definition files and the files their
 * expansions were recorded reading (the dependency manifest) as watch files of that module; in
 * the dev server an edit to one of them invalidates the importing modules (HMR).
 *
 * @example vite.config.js
 * ```js
 * import babel from 'vite-plugin-babel';
 * import cachedMacros from 'babel-plugin-cached-macros/vite';
 * const options = { cacheDir: 'node_modules/.cache/cached-macros' };
 * export default {
 *   plugins: [babel({ babelConfig: { plugins: [['babel-plugin-cached-macros', options]] } }), cachedMacros(options)],
 * };
 * ```
 * @packageDocumentation
 */
import fs from 'fs';
import path from 'path';
import { importedMacroModules, macroModuleFiles } from './deps/bundler-dependencies';
import { resolveOptions, type PluginOptions } from './build/options';

/** The parts of Rollup's/Vite's plugin context this plugin uses. */
interface TransformContext {
  addWatchFile(file: string): void;
}
interface ViteModuleNode {
  readonly file?: string | null;
}
interface HotUpdateContext {
  readonly file: string;
  readonly modules: readonly ViteModuleNode[];
  readonly server: {
    readonly moduleGraph: {
      getModulesByFile(file: string): Set<ViteModuleNode> | undefined;
      invalidateModule(mod: ViteModuleNode): void;
    };
  };
}

/** The plugin object (structurally a Vite `Plugin`, so Vite's types are not needed to use it). */
interface CachedMacrosVitePlugin {
  readonly name: 'cached-macros';
  readonly enforce: 'post';
  transform(this: TransformContext, code: string, id: string): null;
  handleHotUpdate(ctx: HotUpdateContext): ViteModuleNode[] | void;
}

/**
 * Creates the plugin. `options` are the Babel plugin's options (the same `cacheDir`, `store`,
 * `macroPattern` and `macros`), so it reads the same dependency manifest.
 */
function cachedMacros(options: PluginOptions = {}): CachedMacrosVitePlugin {
  // The Babel plugin resolves its options against process.cwd() (Babel's default cwd); so does this.
  const cwd = process.cwd();
  const resolved = resolveOptions(options, cwd);
  /** Watched file → the modules (files) whose output depends on it. */
  const importers = new Map<string, Set<string>>();

  return {
    name: 'cached-macros',
    // After the Babel bridge, so the manifest already has what this module's expansions read.
    enforce: 'post',
    transform(_code, id) {
      const file = id.split('?')[0];
      if (file.startsWith('\0') || !path.isAbsolute(file)) return null;
      let source: string;
      try {
        source = fs.readFileSync(file, 'utf8'); // the original: the bridge has replaced the macro imports
      } catch {
        return null;
      }
      for (const macro of importedMacroModules(source, file, resolved, cwd)) {
        for (const dep of macroModuleFiles(macro, resolved)) {
          this.addWatchFile(dep);
          let set = importers.get(dep);
          if (!set) importers.set(dep, (set = new Set()));
          set.add(file);
        }
      }
      return null;
    },
    handleHotUpdate({ file, modules, server }) {
      const files = importers.get(path.resolve(file));
      if (!files) return;
      const affected = new Set(modules);
      for (const importer of files) {
        for (const mod of server.moduleGraph.getModulesByFile(importer) ?? []) {
          server.moduleGraph.invalidateModule(mod);
          affected.add(mod);
        }
      }
      return [...affected];
    },
  };
}

// `export =`, so that `import cachedMacros from 'babel-plugin-cached-macros/vite'` is the function
// in an ES module config too (Node gives it `module.exports`).
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace cachedMacros {
  /** The plugin object {@link cachedMacros} returns. */
  export type Plugin = CachedMacrosVitePlugin;
}
export = cachedMacros;
