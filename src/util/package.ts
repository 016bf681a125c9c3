/**
 * Facts about this package that several parts need: its version (part of every definition
 * fingerprint and cache key: a new plugin version never reuses an old one's expansions).
 * @packageDocumentation
 */

/** This package's version, from its package.json. */
export const PLUGIN_VERSION: string = (require('../../package.json') as { version: string }).version;
