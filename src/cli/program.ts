/**
 * The `cached-macros` command line: one commander program, one small module per command.
 * Exit codes: 0 success, 1 a failed operation or verification, 2 a usage error.
 * @packageDocumentation
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { warningCount } from '../util/log';
import { PLUGIN_VERSION as VERSION } from '../util/package';
import { DEFAULT_CACHE_DIR } from '../build/options';
import { CommandContext, type CommonOptions, type Streams } from './context';
import { CliError, EXIT } from './errors';
import { parseSize } from './format';


/** Commander codes that mean "asked for help or the version", not a usage error. */
const INFORMATIONAL = new Set(['commander.helpDisplayed', 'commander.version']);

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of epochs (0 or more).');
  return Number(value);
}

function size(value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined) throw new InvalidArgumentError('expected a size such as 500000, 512k, 10mb or 1gb.');
  return bytes;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds `--cache-dir` and `--json` to a command. */
function common(cmd: Command): Command {
  return cmd
    .option('--cache-dir <dir>', `store directory (default: ${DEFAULT_CACHE_DIR} under the working directory, as the plugin)`)
    .option('--json', 'print one JSON document on stdout instead of tables (for scripts)');
}

/**
 * Runs the CLI on `args` (without `node` and the script) and resolves to the exit code.
 * Never throws and never calls `process.exit`.
 */
export async function run(args: readonly string[], streams: Streams = process, cwd: string = process.cwd()): Promise<number> {
  let code: number = EXIT.ok;
  const context = (cmd: Command) => new CommandContext(cmd.opts<CommonOptions>(), cwd, streams);
  // Commands load lazily: `stats` should not pay for loading Babel.
  const program = new Command('cached-macros')
    .description('Inspect and maintain the store of babel-plugin-cached-macros (cached generator expansions).')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => streams.stdout.write(s), writeErr: (s) => streams.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nEvery command takes --cache-dir <dir> and --json, and explains itself with --help.\n' +
        'Exit codes: 0 success, 1 failure (or verify found impure generators), 2 usage error.',
    );

  common(program.command('stats'))
    .description('show the epoch, entries and size of the store, and per macro its definition, entries and hits')
    .action(async (_opts, cmd: Command) => {
      code = (await import('./commands/stats')).stats(context(cmd));
    });

  common(program.command('inspect'))
    .description('show the stored signatures, epochs, dependencies and expansions of macros')
    .argument('<macro>', 'part of a macro id, e.g. "validate", "schema.macro" or "src/x.macro.js#default"')
    .option('--open', 'only entries still valid (not capped by a later epoch)')
    .option('--no-code', 'leave out the expansion code')
    .action(async (macro: string, opts: { open?: boolean; code?: boolean }, cmd: Command) => {
      code = (await import('./commands/inspect')).inspect(context(cmd), macro, opts);
    });

  common(program.command('gc'))
    .description('drop entries outside the retention window of epochs, and over a size budget')
    .addOption(
      new Option('--keep-epochs <n>', 'keep entries capped within the last <n> epochs')
        .argParser(nonNegativeInteger)
        .default(10),
    )
    .option('--max-size <size>', 'then drop entries (capped first, oldest first) until the store fits, e.g. 50mb', size)
    .action(async (opts: { keepEpochs: number; maxSize?: number }, cmd: Command) => {
      code = (await import('./commands/gc')).gc(context(cmd), opts);
    });

  common(program.command('clear'))
    .description('drop every stored entry and macro record (the epoch is kept)')
    .action(async (_opts, cmd: Command) => {
      code = (await import('./commands/clear')).clear(context(cmd));
    });

  common(program.command('verify'))
    .description('re-run cached generators on their stored signatures and report expansions that differ (impure generators)')
    .argument('[macro]', 'part of a macro id (default: every macro)')
    .option('--verbose', 'list every entry, not only the failures')
    .addHelpText(
      'after',
      '\nRun it with the environment of your build: entries whose recorded files or environment\n' +
        'variables changed, or whose macro changed since they were stored, are skipped.\n' +
        'Exit code 1 when an expansion differs or a generator throws.',
    )
    .action(async (macro: string | undefined, opts: { verbose?: boolean }, cmd: Command) => {
      code = (await import('./commands/verify')).verify(context(cmd), macro, opts);
    });

  common(program.command('warm'))
    .description("fill the store by transforming files with the project's Babel config (output is discarded)")
    .argument('<globs...>', 'files to transform, e.g. "src/**/*.{js,ts,tsx}" (node_modules is always left out)')
    .option('--ignore <glob>', 'leave out matching files (repeatable)', collect)
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .addHelpText(
      'after',
      '\nBabel is configured from the working directory, as in your build, and must use\n' +
        "babel-plugin-cached-macros. --cache-dir overrides the plugin's cacheDir option.",
    )
    .action(async (globs: string[], opts: { ignore?: string[]; progress?: boolean; cacheDir?: string }, cmd: Command) => {
      code = (await import('./commands/warm')).warm(context(cmd), globs, { ...opts, cacheDirGiven: opts.cacheDir !== undefined });
    });

  const warningsBefore = warningCount();
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // `help` alone exits 0; help shown because no command was given exits 1: a usage error.
      const asked = INFORMATIONAL.has(e.code) || (e.code === 'commander.help' && e.exitCode === 0);
      return asked ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      streams.stderr.write(`cached-macros: error: ${e.message}\n`);
      return e.exitCode;
    }
    streams.stderr.write(`cached-macros: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.failure;
  }
  if (code === EXIT.ok && warningCount() > warningsBefore) {
    streams.stderr.write('cached-macros: error: the store reported a problem (see the warning above)\n');
    return EXIT.failure;
  }
  return code;
}
