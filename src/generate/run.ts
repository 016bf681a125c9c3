/**
 * Running a generator once for one signature: the one implementation shared by a build
 * (generate.ts, which frames failures at the call site) and `cached-macros verify`
 * (cli/reverify.ts, which reports them per entry). It hands the generator a recording context,
 * tracks its plain `fs`/`process.env` reads and lazy requires, runs it under the watchdog,
 * and serialises what it returned; every failure becomes a {@link GeneratorFailure} whose
 * message names the macro and the signature. Also the one definition of "the same expansion".
 * @packageDocumentation
 */
import path from 'path';
import type { Generator } from '../api/generator';
import type { Dependency, SerializedExpansion, Signature } from '../api/types';
import type { BabelRuntime } from '../build/babel-runtime';
import { recordLazyLoads, type MacroDefinition } from '../load/macro-loader';
import { ExpansionError, serializeExpansion } from '../template/expansion';
import { MacroCallError, RecordingContext } from './context';
import { track } from './tracking';
import { watched } from './watchdog';

/** One run: which generator, for which signature, recording against which project and key. */
export interface GeneratorRun {
  readonly def: MacroDefinition;
  /** The instance to call (a build keeps one per definition); made inside the run, so a throwing constructor is the macro's failure too. */
  readonly generator: () => Generator;
  readonly sig: Signature;
  /** How messages name the macro: as imported at the call site in a build, by its id in the CLI. */
  readonly displayName: string;
  /** The file being transformed (`ctx.filename`), if any. */
  readonly filename: string | undefined;
  /** The project root: file dependencies are recorded relative to it. */
  readonly root: string;
  /** Key of the recorded environment digests (deps/env-digest.ts). */
  readonly envKey: Buffer;
  readonly babel: BabelRuntime;
  /** The watchdog's threshold (null: none). */
  readonly watchdogMs: number | null;
  /** Where the run comes from, for the watchdog's warning (`called at file:line:col`). */
  readonly where: string;
}

/** What a successful run gives: the stored form of the expansion and what the generator read. */
export interface GeneratorOutput {
  readonly serialized: SerializedExpansion;
  readonly deps: Dependency[];
}

/**
 * A run that failed: the generator threw (`cause`), called `ctx.error` (`argIndex` names the
 * argument, if any), returned a Promise or an invalid expansion. The message is the user's.
 */
export class GeneratorFailure extends Error {
  constructor(
    message: string,
    /** Set by `ctx.error(message, argIndex)`: the argument the message is about. */
    readonly argIndex: number | undefined,
    /** What the generator's code threw, when it threw. */
    readonly thrown?: unknown,
  ) {
    super(message);
    this.name = 'GeneratorFailure';
  }
}

/** Runs the generator once; throws {@link GeneratorFailure}. */
export function runGenerator(run: GeneratorRun): GeneratorOutput {
  const { def, sig, displayName } = run;
  const ctx = new RecordingContext(displayName, run.filename, path.dirname(def.module.file), run.root, run.envKey);
  let value: unknown;
  try {
    const call = () => run.generator().generate(sig, ctx);
    value = watched(run.watchdogMs, () => stuckMessage(run), () =>
      track(ctx, () => recordLazyLoads(def.module, (f, h) => ctx.moduleLoaded(f, h), call)),
    );
  } catch (e) {
    throw generatorThrew(run, e);
  }
  if (value && typeof (value as { then?: unknown }).then === 'function') {
    throw new GeneratorFailure(`The macro ${displayName} returned a Promise for ${sig.key}: generators must be synchronous.`, undefined);
  }
  try {
    return { serialized: serializeExpansion(value, sig.args.length, ctx.helpers, run.babel), deps: [...ctx.deps.values()] };
  } catch (e) {
    // The generator's own code can still run here: getters on the returned object (`get inline()`).
    if (!(e instanceof ExpansionError)) throw generatorThrew(run, e);
    throw new GeneratorFailure(`The macro ${displayName} returned an invalid expansion for the signature ${sig.key}: ${e.message}`, undefined);
  }
}

/**
 * Whether two runs produced the same expansion. The rule is the stored form compared field by
 * field, helpers included: that is what the store keeps and serves byte for byte, so it is
 * what a warm build emits where a clean one would run the generator again. Comparing parsed
 * trees without the helpers (the old build-time check) missed a generator whose helper imports
 * changed, and a helper is an import in the output.
 */
export function sameExpansion(a: SerializedExpansion, b: SerializedExpansion): boolean {
  return a.hoist === b.hoist && a.inline === b.inline && a.helpers.length === b.helpers.length &&
    a.helpers.every((h, i) => h.placeholder === b.helpers[i].placeholder && h.source === b.helpers[i].source && h.name === b.helpers[i].name);
}

/** This plugin's compiled code (dist/ or src/): its frames are not the author's. */
const PLUGIN_DIR = path.resolve(__dirname, '..') + path.sep;

/** What the watchdog prints when a generator runs past its threshold: the macro, the signature and where it was called. */
function stuckMessage(run: GeneratorRun): string {
  return (
    `[cached-macros] warning: the macro ${run.displayName} has been generating the signature ${run.sig.key} for over ` +
    `${(run.watchdogMs ?? 0) / 1000} s (${run.where}); the build waits for it. Is it stuck in a loop? (option watchdogMs sets this limit, false turns it off)\n`
  );
}

/** A throw from the generator's code (or its `ctx.error`), as the user reads it. */
function generatorThrew(run: GeneratorRun, e: unknown): GeneratorFailure {
  if (e instanceof MacroCallError) return new GeneratorFailure(`${run.displayName}: ${e.message}`, e.argIndex);
  const err = e as Error;
  return new GeneratorFailure(
    `The macro ${run.displayName} threw while generating the signature ${run.sig.key}: ${err?.message ?? String(e)}` + authorFrames(err),
    undefined,
    e,
  );
}

/** The generator's own stack frames (up to 3), without this plugin's or Babel's. */
function authorFrames(err: Error | undefined): string {
  const frames = (err?.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !l.includes(path.sep + 'babel-plugin-cached-macros' + path.sep) && !l.includes(PLUGIN_DIR) && !/[\\/]@babel[\\/]/.test(l));
  return frames.length ? `\n${frames.slice(0, 3).join('\n')}` : '';
}
