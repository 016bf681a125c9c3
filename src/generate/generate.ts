/**
 * Running a generator for one group: a recording context, automatic read tracking, and every
 * failure (a throw, `ctx.error`, a Promise, an invalid expansion) turned into a code frame at
 * the call site or argument. Also `verify` mode, which re-runs a generator on a hit.
 */
import path from 'path';
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from '../build/build';
import type { CallSite } from '../expand/call-sites';
import { MacroCallError, RecordingContext } from './context';
import { ExpansionError, parseExpansion, serializeExpansion, type ExpansionTemplate } from '../template/expansion';
import type { Group } from '../expand/group';
import { recordLazyLoads } from '../load/macro-loader';
import { track } from './tracking';
import type { Dependency, SerializedExpansion } from '../api/types';
import { watched } from './watchdog';

/**
 * Runs the generator for a group; errors become code frames at the call site or argument.
 * `ms` is how long the generator ran (the caller counts the run in its report).
 */
export function generate(group: Group, filename: string | undefined, build: Build): { serialized: SerializedExpansion; deps: Dependency[]; ms: number } {
  const { def, sig } = group;
  const site = group.sites[0];
  const ctx = new RecordingContext(site.displayName, filename, path.dirname(def.module.file), build.root, build.envKey);
  const started = performance.now();
  let value: unknown;
  try {
    const ms = build.options.watchdogMs;
    const run = () => build.instance(def).generate(sig, ctx);
    value = watched(ms, () => stuckMessage(group, filename, ms ?? 0), () =>
      track(ctx, () => recordLazyLoads(def.module, (f, h) => ctx.moduleLoaded(f, h), run)),
    );
  } catch (e) {
    throw generatorThrew(group, e);
  }
  const ms = performance.now() - started;
  if (value && typeof (value as { then?: unknown }).then === 'function') {
    throw site.path.buildCodeFrameError(`The macro ${site.displayName} returned a Promise for ${sig.key}: generators must be synchronous.`);
  }
  try {
    const serialized = serializeExpansion(value, sig.args.length, ctx.helpers, build.babel);
    const deps = [...ctx.deps.values()];
    build.noteReads(def, deps);
    return { serialized, deps, ms };
  } catch (e) {
    // The generator's own code can still run here: getters on the returned object (`get inline()`).
    if (!(e instanceof ExpansionError)) throw generatorThrew(group, e);
    throw site.path.buildCodeFrameError(`The macro ${site.displayName} returned an invalid expansion for the signature ${sig.key}: ${e.message}`);
  }
}

/** verify mode: re-run a cached generator on a hit (`stored`) and compare; not counted as a generation. */
export function verify(group: Group, stored: ExpansionTemplate, filename: string | undefined, build: Build): void {
  const fresh = generate(group, filename, build).serialized;
  const again = parseExpansion(fresh, build.babel);
  const same = JSON.stringify([again.hoist, again.inline]) === JSON.stringify([stored.hoist, stored.inline]);
  if (!same) {
    throw group.sites[0].path.buildCodeFrameError(
      `The macro ${group.sites[0].displayName} is impure: re-running it for the signature ${group.sig.key} produced a different expansion than the stored one (verify mode).`,
    );
  }
}

/** This plugin's compiled code (dist/ or src/): its frames are not the author's. */
const PLUGIN_DIR = path.resolve(__dirname, '..') + path.sep;
/** What the watchdog prints when a generator runs past `ms`: the macro, the signature and the call site. */
function stuckMessage(group: Group, filename: string | undefined, ms: number): string {
  const site = group.sites[0];
  const loc = site.path.node.loc?.start;
  const where = `${filename ?? '<unknown file>'}${loc ? `:${loc.line}:${loc.column + 1}` : ''}`;
  return (
    `[cached-macros] warning: the macro ${site.displayName} has been generating the signature ${group.sig.key} for over ` +
    `${ms / 1000} s (called at ${where}); the build waits for it. Is it stuck in a loop? (option watchdogMs sets this limit, false turns it off)\n`
  );
}

/** A throw from the generator's code, as a code frame at the call site (or at the argument `ctx.error` named). */
function generatorThrew(group: Group, e: unknown): Error {
  const site = group.sites[0];
  if (e instanceof MacroCallError) return argPath(site, e.argIndex).buildCodeFrameError(`${site.displayName}: ${e.message}`);
  const err = e as Error;
  const error = site.path.buildCodeFrameError(
    `The macro ${site.displayName} threw while generating the signature ${group.sig.key}: ${err?.message ?? String(e)}` + authorFrames(err),
  );
  (error as Error & { cause?: unknown }).cause = e;
  return error;
}

/** The generator's own stack frames (up to 3), without this plugin's or Babel's. */
function authorFrames(err: Error | undefined): string {
  const frames = (err?.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !l.includes(path.sep + 'babel-plugin-cached-macros' + path.sep) && !l.includes(PLUGIN_DIR) && !/[\\/]@babel[\\/]/.test(l));
  return frames.length ? `\n${frames.slice(0, 3).join('\n')}` : '';
}

function argPath(site: CallSite, index: number | undefined): NodePath {
  if (index === undefined) return site.path;
  if (!site.tagged) return site.argPaths[index] ?? site.path;
  const quasi = site.argPaths[0] as NodePath<t.TemplateLiteral>;
  return index === 0 ? quasi : (quasi.get('expressions')[index - 1] ?? site.path);
}
