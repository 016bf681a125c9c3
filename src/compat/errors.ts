/**
 * Errors from babel-plugin-macros macros, reported as babel-plugin-macros 3.1 reports them —
 * a `MacroError` as is, anything else prefixed with the import source (and, for a package, a
 * "Learn more" link) — plus, when the message has no code frame yet, a frame at the import,
 * so the user sees which import failed.
 */
import type { NodePath } from '@babel/traverse';

/** A line of a Babel code frame (`> 12 | code` or `  12 | code`), colours stripped. */
const FRAME_LINE = /^\s*>?\s*\d+\s*\|/m;

/** True when `message` already carries a Babel code frame. */
export function hasCodeFrame(message: string): boolean {
  return FRAME_LINE.test(message.replace(/\u001b\[[0-9;]*m/g, ''));
}

/** Appends a code frame at `at` unless the message has one. Keeps the error object (its class and `name`). */
export function framed<E extends Error>(error: E, at: NodePath): E {
  if (!hasCodeFrame(error.message)) error.message = at.buildCodeFrameError(error.message).message;
  return error;
}

/** The error to throw for what a macro imported from `source` threw. */
export function macroFailure(thrown: unknown, source: string, at: NodePath): Error {
  const error = thrown !== null && typeof thrown === 'object' ? (thrown as Error) : new Error(String(thrown));
  if (typeof error.message !== 'string') error.message = String(error.message ?? '');
  if (error.name !== 'MacroError') {
    error.message = `${source}: ${error.message}`;
    if (!source.startsWith('.')) {
      // @org/package/macro -> @org/package; package/macro -> package (as babel-plugin-macros links)
      error.message += ` Learn more: https://www.npmjs.com/package/${source.replace(/^((?:@[^/]+\/)?[^/]+).*/, '$1')}`;
    }
  }
  return framed(error, at);
}
