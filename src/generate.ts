/**
 * Running a generator for one group: a recording context, automatic read tracking, and every
 * failure (a throw, `ctx.error`, a Promise, an invalid expansion) turned into a code frame at
 * the call site or argument. Also `verify` mode, which re-runs a generator on a hit.
 */
import path from 'path';
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from './build';
import type { CallSite } from './call-sites';
import { MacroCallError, RecordingContext } from './context';
import { ExpansionError, parseExpansion, serializeExpansion, type ExpansionTemplate } from './expansion';
import type { Group } from './group';
import { track } from './tracking';
import type { Dependency, SerializedExpansion } from './types';

/** Runs the generator for a group; errors become code frames at the call site or argument. */
export function generate(group: Group, filename: string | undefined, build: Build): { serialized: SerializedExpansion; deps: Dependency[] } {
  const { def, sig } = group;
  const site = group.sites[0];
  const ctx = new RecordingContext(site.displayName, filename, path.dirname(def.module.file));
  const started = performance.now();
  let value: unknown;
  try {
    value = track(ctx, () => build.instance(def).generate(sig, ctx));
  } catch (e) {
    if (e instanceof MacroCallError) throw argPath(site, e.argIndex).buildCodeFrameError(`${site.displayName}: ${e.message}`);
    const err = e as Error;
    const error = site.path.buildCodeFrameError(
      `The macro ${site.displayName} threw while generating the signature ${sig.key}: ${err?.message ?? String(e)}` +
        authorFrames(err),
    );
    (error as Error & { cause?: unknown }).cause = e;
    throw error;
  } finally {
    group.report.generated++;
    group.report.generateMs += performance.now() - started;
  }
  if (value && typeof (value as { then?: unknown }).then === 'function') {
    throw site.path.buildCodeFrameError(`The macro ${site.displayName} returned a Promise for ${sig.key}: generators must be synchronous.`);
  }
  try {
    const serialized = serializeExpansion(value, sig.args.length, ctx.helpers, build.babel);
    const deps = [...ctx.deps.values()];
    build.noteReads(def, deps);
    return { serialized, deps };
  } catch (e) {
    if (!(e instanceof ExpansionError)) throw e;
    throw site.path.buildCodeFrameError(`The macro ${site.displayName} returned an invalid expansion for the signature ${sig.key}: ${e.message}`);
  }
}

/** verify mode: re-run a cached generator on a hit and compare. */
export function verify(group: Group, filename: string | undefined, build: Build): void {
  const fresh = generate(group, filename, build).serialized;
  group.report.generated--; // a verification run is not a generation
  const stored = group.template as ExpansionTemplate;
  const again = parseExpansion(fresh, build.babel);
  const same = JSON.stringify([again.hoist, again.inline]) === JSON.stringify([stored.hoist, stored.inline]);
  if (!same) {
    throw group.sites[0].path.buildCodeFrameError(
      `The macro ${group.sites[0].displayName} is impure: re-running it for the signature ${group.sig.key} produced a different expansion than the stored one (verify mode).`,
    );
  }
}

/** The generator's own stack frames (up to 3), without this plugin's or Babel's. */
function authorFrames(err: Error | undefined): string {
  const frames = (err?.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !l.includes(path.sep + 'babel-plugin-cached-macros' + path.sep) && !l.includes(__dirname) && !/[\\/]@babel[\\/]/.test(l));
  return frames.length ? `\n${frames.slice(0, 3).join('\n')}` : '';
}

function argPath(site: CallSite, index: number | undefined): NodePath {
  if (index === undefined) return site.path;
  if (!site.tagged) return site.argPaths[index] ?? site.path;
  const quasi = site.argPaths[0] as NodePath<t.TemplateLiteral>;
  return index === 0 ? quasi : (quasi.get('expressions')[index - 1] ?? site.path);
}
