#!/usr/bin/env node
/**
 * `cached-macros`: the command-line entry (package.json `bin`). See program.ts.
 * @packageDocumentation
 */
import { run } from './program';

run(process.argv.slice(2)).then(
  (code) => {
    // exitCode rather than exit(): lets stdout drain when it is a pipe.
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`cached-macros: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
