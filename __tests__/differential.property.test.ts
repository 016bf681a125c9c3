/**
 * The guiding rule as a property: **a warm build equals a clean build, byte for byte, whatever
 * changed** (issue 9, part C).
 *
 * fast-check generates short sequences of edits to a small project (see
 * helpers/differential-project.ts: macro sources, helpers, data files, environment variables,
 * reverts, touches) interleaved with builds: in a long-lived build process (watch mode, a Jest
 * worker), in a new process, against the shared store, in the project or in a second checkout
 * at another path sharing that store. After every build each app file's outcome (code or error)
 * must equal, byte for byte, that of a clean build (empty cache directory, fresh process) of the
 * same files and environment.
 *
 * Knobs: CACHED_MACROS_PROPERTY_RUNS (sequences, default 200), CACHED_MACROS_PROPERTY_SEED
 * (replay a failure: fast-check prints the seed and path), CACHED_MACROS_PROPERTY_KINDS
 * (comma-separated edit kinds to enable instead of "all but KNOWN_UNSOUND", e.g. to reproduce
 * a known bug: `CACHED_MACROS_PROPERTY_KINDS=macro:local,helper:pkg`).
 */
import fc from 'fast-check';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { BuildProcess, Checkout, CleanBuilder, ProcessPool, type Env, type Outputs } from './helpers/differential-builds';
import { EDITABLE, ENV_VARS, initialTree, type EditKind } from './helpers/differential-project';

/**
 * Edit kinds that break the rule on the plugin today, each with the bug it exposes. They are
 * left out of the generated sequences so this test guards the sound subset in CI; remove an
 * entry when its fix merges (the test then covers that kind too). Never weaken the comparison
 * instead. Counterexamples for each are listed in docs/correctness.md.
 */
const KNOWN_UNSOUND: ReadonlyMap<EditKind, string> = new Map<EditKind, string>([
  // Empty: the four kinds found unsound when this test was written (node_modules helpers,
  // computed requires, load-time reads, a second checkout) are fixed (issue 9).
]);

const ALL_KINDS: readonly EditKind[] = [
  'macro:local',
  'macro:pkg',
  'helper:local',
  'helper:pkg',
  'helper:computed',
  'data:ctx',
  'data:fs',
  'data:json',
  'data:load-time',
  'env:ctx',
  'env:plain',
  'revert',
  'touch',
  'checkout2',
  'build:long',
];

const RUNS = Number(process.env.CACHED_MACROS_PROPERTY_RUNS ?? 200);
/**
 * CI replays one fixed seed (which once found a bug, since fixed), so that whether a submission
 * lands does not depend on luck; elsewhere each run explores new sequences unless a seed is given.
 */
const CI_SEED = '-961270976';
const SEED = process.env.CACHED_MACROS_PROPERTY_SEED ?? (process.env.CI ? CI_SEED : undefined);

function enabledKinds(): Set<EditKind> {
  const listed = process.env.CACHED_MACROS_PROPERTY_KINDS;
  if (!listed) return new Set(ALL_KINDS.filter((k) => !KNOWN_UNSOUND.has(k)));
  const kinds = listed.split(',').map((k) => k.trim()) as EditKind[];
  for (const k of kinds) if (!ALL_KINDS.includes(k)) throw new Error(`CACHED_MACROS_PROPERTY_KINDS: unknown edit kind ${k}`);
  return new Set(kinds);
}

/** One step of a sequence: plain data, printed readably when fast-check reports a counterexample. */
type Step =
  | { op: 'edit'; rel: string; variant: number | null; checkout: number }
  | { op: 'revert'; rel: string; back: number; checkout: number }
  | { op: 'touch'; rel: string; checkout: number }
  | { op: 'env'; name: string; value: string | null }
  | { op: 'build'; mode: 'long' | 'new'; checkout: number };

function describe(s: Step): string {
  const where = 'checkout' in s && s.checkout === 1 ? ' in checkout 2' : '';
  switch (s.op) {
    case 'edit':
      return s.variant === null ? `delete ${s.rel}${where}` : `write ${s.rel} v${s.variant}${where}`;
    case 'revert':
      return `revert ${s.rel} ${s.back + 1} edit(s) back${where}`;
    case 'touch':
      return `touch ${s.rel}${where}`;
    case 'env':
      return s.value === null ? `unset $${s.name}` : `set $${s.name}=${s.value}`;
    case 'build':
      return `build (${s.mode === 'long' ? 'long-lived process' : 'new process'})${where}`;
  }
}

const printable = (s: Step): Step => Object.assign(s, { [fc.toStringMethod]: () => describe(s) });

/** Sequences of 1–6 steps using only `kinds`, always ending with a build. */
function sequences(kinds: ReadonlySet<EditKind>): fc.Arbitrary<Step[]> {
  const checkout = kinds.has('checkout2') ? fc.constantFrom(0, 0, 1) : fc.constant(0);
  const files = EDITABLE.filter((f) => kinds.has(f.kind));
  const variant = fc.integer({ min: 0, max: 2 });
  const steps: fc.Arbitrary<Step>[] = [];
  const build = fc.record({ op: fc.constant('build' as const), mode: kinds.has('build:long') ? fc.constantFrom('long' as const, 'new' as const) : fc.constant('new' as const), checkout });
  steps.push(build);
  for (const f of files) {
    const v = f.deletable ? fc.option(variant, { nil: null, freq: 4 }) : variant;
    steps.push(fc.record({ op: fc.constant('edit' as const), rel: fc.constant(f.rel), variant: v, checkout }));
  }
  if (files.length > 0 && kinds.has('revert')) {
    steps.push(fc.record({ op: fc.constant('revert' as const), rel: fc.constantFrom(...files.map((f) => f.rel)), back: fc.integer({ min: 0, max: 2 }), checkout }));
  }
  if (files.length > 0 && kinds.has('touch')) {
    steps.push(fc.record({ op: fc.constant('touch' as const), rel: fc.constantFrom(...files.map((f) => f.rel)), checkout }));
  }
  for (const [kind, name] of Object.entries(ENV_VARS) as [EditKind, string][]) {
    if (kinds.has(kind)) steps.push(fc.record({ op: fc.constant('env' as const), name: fc.constant(name), value: fc.option(fc.constantFrom('x', 'y', ''), { nil: null, freq: 3 }) }));
  }
  // Builds weigh as much as all edits together: most sequences interleave several.
  const step = fc.oneof({ arbitrary: build, weight: steps.length - 1 }, ...steps.slice(1));
  return fc
    .tuple(fc.array(step, { minLength: 1, maxLength: 6 }), build)
    .map(([body, last]) => (body[body.length - 1]?.op === 'build' ? body : [...body, last]).map((s) => printable({ ...s })));
}

/** The first difference between two outcomes of one file, for the failure message. */
function difference(file: string, warm: Outputs[string] | undefined, clean: Outputs[string] | undefined): string {
  const text = (o: Outputs[string] | undefined) => (o === undefined ? '<not built>' : 'code' in o ? o.code : `<error> ${o.error}`);
  const [w, c] = [text(warm).split('\n'), text(clean).split('\n')];
  const i = w.findIndex((line, n) => line !== c[n]);
  const at = i === -1 ? Math.min(w.length, c.length) : i;
  return `${file}, line ${at + 1}:\n  warm:  ${w[at] ?? '<end>'}\n  clean: ${c[at] ?? '<end>'}`;
}

let scratch: string;
let checkouts: Checkout[];
let clean: CleanBuilder;
let pool: ProcessPool;
let sharedCache: string;
const stats = { sequences: 0, builds: 0 };

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-prop-'));
  checkouts = [new Checkout(path.join(scratch, 'checkout')), new Checkout(path.join(scratch, 'second-checkout'))];
  pool = new ProcessPool(2);
  clean = new CleanBuilder(scratch, pool);
  sharedCache = path.join(scratch, 'shared-cache');
});

afterAll(async () => {
  await pool.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Runs one sequence from a fresh project, store and set of processes; throws at the first build that differs from a clean one. */
async function runSequence(steps: readonly Step[]): Promise<void> {
  stats.sequences++;
  for (const c of checkouts) c.reset(initialTree());
  fs.rmSync(sharedCache, { recursive: true, force: true });
  const env: Env = Object.fromEntries(Object.values(ENV_VARS).map((name) => [name, 'initial']));
  const long: (BuildProcess | undefined)[] = [];
  try {
    for (const [n, s] of steps.entries()) {
      if (s.op === 'env') env[s.name] = s.value;
      else if (s.op === 'edit') checkouts[s.checkout].set(s.rel, s.variant);
      else if (s.op === 'touch') checkouts[s.checkout].touch(s.rel);
      else if (s.op === 'revert') {
        const earlier = checkouts[s.checkout].earlier(s.rel, s.back);
        if (earlier !== undefined) checkouts[s.checkout].set(s.rel, earlier);
      } else {
        const c = checkouts[s.checkout];
        let warm: Outputs;
        if (s.mode === 'long') {
          long[s.checkout] ??= pool.take();
          warm = await (long[s.checkout] as BuildProcess).build(c.root, sharedCache, env);
        } else warm = await pool.buildOnce(c.root, sharedCache, env);
        stats.builds++;
        const reference = await clean.build(c, env);
        for (const file of Object.keys(reference)) {
          if (JSON.stringify(warm[file]) !== JSON.stringify(reference[file])) {
            throw new Error(`step ${n + 1} (${describe(s)}) differs from a clean build: ${difference(file, warm[file], reference[file])}`);
          }
        }
      }
    }
  } finally {
    for (const l of long) await l?.stop();
  }
}

test(`warm builds equal clean builds after any sequence of edits (${RUNS} sequences)`, async () => {
  const kinds = enabledKinds();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(sequences(kinds), (steps) => runSequence(steps)),
    { numRuns: RUNS, seed: SEED === undefined ? undefined : Number(SEED), endOnFailure: false },
  );
  // eslint-disable-next-line no-console
  console.log(
    `${stats.sequences} sequences, ${stats.builds} warm builds, ${clean.runs} clean builds run, in ${((Date.now() - started) / 1000).toFixed(1)} s; kinds: ${[...kinds].join(', ')}`,
  );
}, 30 * 60_000);
