/**
 * Finding this plugin in a Babel config (plugin/config-lookup.ts), the one rule the Jest
 * transformer and `cached-macros warm` share: each way a config can name the plugin that either
 * of their former copies accepted (the function itself, a branded copy, a copy known by its
 * function's name) is found, with its options; other plugins and ignored files are not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as babel from '@babel/core';
import cachedMacrosPlugin from '../src/index';
import { findPluginInConfig, isCachedMacrosPlugin } from '../src/plugin/config-lookup';

const REPO = path.resolve(__dirname, '..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-config-lookup-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A project whose babel.config.js lists `plugins` (source text), with the package installed by name. */
function project(name: string, plugins: string, extra = ''): string {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  fs.symlinkSync(REPO, path.join(dir, 'node_modules', 'babel-plugin-cached-macros'));
  fs.writeFileSync(path.join(dir, 'babel.config.js'), `module.exports = { plugins: ${plugins}${extra} };\n`);
  fs.writeFileSync(path.join(dir, 'a.js'), '');
  return dir;
}

function lookUp(dir: string, options: babel.TransformOptions = {}) {
  return findPluginInConfig(babel, { cwd: dir, ...options, filename: path.join(dir, 'a.js') });
}

describe('findPluginInConfig', () => {
  test('by package name in a config file (the installed copy, branded)', () => {
    const found = lookUp(project('by-name', `[['babel-plugin-cached-macros', { cacheDir: '.c' }]]`));
    expect(found).toMatchObject({ kind: 'found', index: 0, options: { cacheDir: '.c' } });
  });

  test('by path, after other plugins', () => {
    const dir = project('by-path', `[require.resolve('./other-plugin'), [${JSON.stringify(path.join(REPO, 'dist', 'index.js'))}, { store: 'memory' }]]`);
    fs.writeFileSync(path.join(dir, 'other-plugin.js'), 'module.exports = () => ({ visitor: {} });\n');
    expect(lookUp(dir)).toMatchObject({ kind: 'found', index: 1, options: { store: 'memory' } });
  });

  test('the running function itself, given programmatically (no config file)', () => {
    const dir = path.join(root, 'programmatic');
    fs.mkdirSync(dir, { recursive: true });
    const found = lookUp(dir, { configFile: false, babelrc: false, plugins: [[cachedMacrosPlugin, { macroPattern: /x/ }]] });
    expect(found).toMatchObject({ kind: 'found', index: 0, options: { macroPattern: /x/ } });
  });

  test('a copy from before the brand, known by its function name; no options given', () => {
    const dir = project('unbranded', `[require.resolve('./old-copy')]`);
    fs.writeFileSync(path.join(dir, 'old-copy.js'), 'module.exports = function cachedMacrosPlugin() { return { visitor: {} }; };\n');
    expect(lookUp(dir)).toMatchObject({ kind: 'found', index: 0, options: {} });
  });

  test('a branded copy under another name', () => {
    const dir = project('branded', `[require.resolve('./copy')]`);
    fs.writeFileSync(
      path.join(dir, 'copy.js'),
      "function renamed() { return { visitor: {} }; }\nObject.defineProperty(renamed, Symbol.for('babel-plugin-cached-macros.plugin'), { value: true });\nmodule.exports = renamed;\n",
    );
    expect(lookUp(dir)).toMatchObject({ kind: 'found', index: 0 });
  });

  test('a config without the plugin, and a file the config ignores', () => {
    const dir = project('absent', `[require.resolve('./other-plugin')]`, `, ignore: ['./ignored.js']`);
    fs.writeFileSync(path.join(dir, 'other-plugin.js'), 'module.exports = function otherPlugin() { return { visitor: {} }; };\n');
    expect(lookUp(dir).kind).toBe('absent');
    expect(findPluginInConfig(babel, { cwd: dir, filename: path.join(dir, 'ignored.js') }).kind).toBe('ignored');
  });
});

test('isCachedMacrosPlugin: only functions that are the plugin', () => {
  expect(isCachedMacrosPlugin(cachedMacrosPlugin)).toBe(true);
  expect(isCachedMacrosPlugin(require(path.join(REPO, 'dist', 'index.js')).default)).toBe(true);
  expect(isCachedMacrosPlugin(function other() {})).toBe(false);
  expect(isCachedMacrosPlugin('babel-plugin-cached-macros')).toBe(false);
  expect(isCachedMacrosPlugin(undefined)).toBe(false);
});
