/**
 * Running a generator for one group in a build: {@link runGenerator} (run.ts) with the build's
 * instance, root, key and watchdog, its failures turned into a code frame at the call site or
 * argument. Also `verify` mode, which re-runs a generator on a hit.
 */
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import type { Build } from '../build/build';
import type { CallSite } from '../expand/call-sites';
import type { ExpansionTemplate } from '../template/expansion';
import type { Group } from '../expand/group';
import { GeneratorFailure, runGenerator, sameExpansion, type GeneratorOutput } from './run';

/**
 * Runs the generator for a group; errors become code frames at the call site or argument.
 * `ms` is how long the generator ran (the caller counts the run in its report).
 */
export function generate(group: Group, filename: string | undefined, build: Build): GeneratorOutput & { ms: number } {
  const { def, sig } = group;
  const site = group.sites[0];
  const started = performance.now();
  let out: GeneratorOutput;
  try {
    out = runGenerator({
      def,
      generator: () => build.instance(def),
      sig,
      displayName: site.displayName,
      filename,
      root: build.root,
      envKey: build.envKey,
      babel: build.babel,
      watchdogMs: build.options.watchdogMs,
      where: `called at ${callLocation(site, filename)}`,
    });
  } catch (e) {
    if (!(e instanceof GeneratorFailure)) throw e;
    const error = argPath(site, e.argIndex).buildCodeFrameError(e.message);
    if (e.thrown !== undefined) (error as Error & { cause?: unknown }).cause = e.thrown;
    throw error;
  }
  build.noteReads(def, out.deps);
  return { ...out, ms: performance.now() - started };
}

/**
 * verify mode: re-run a cached generator on a hit (`stored`) and compare with the stored
 * expansion ({@link sameExpansion}); not counted as a generation.
 */
export function verify(group: Group, stored: ExpansionTemplate, filename: string | undefined, build: Build): void {
  const fresh = generate(group, filename, build).serialized;
  if (!sameExpansion(fresh, stored.source)) {
    throw group.sites[0].path.buildCodeFrameError(
      `The macro ${group.sites[0].displayName} is impure: re-running it for the signature ${group.sig.key} produced a different expansion than the stored one (verify mode).`,
    );
  }
}

/** `file:line:column` of a call site, for the watchdog's warning. */
function callLocation(site: CallSite, filename: string | undefined): string {
  const loc = site.path.node.loc?.start;
  return `${filename ?? '<unknown file>'}${loc ? `:${loc.line}:${loc.column + 1}` : ''}`;
}

function argPath(site: CallSite, index: number | undefined): NodePath {
  if (index === undefined) return site.path;
  if (!site.tagged) return site.argPaths[index] ?? site.path;
  const quasi = site.argPaths[0] as NodePath<t.TemplateLiteral>;
  return index === 0 ? quasi : (quasi.get('expressions')[index - 1] ?? site.path);
}
