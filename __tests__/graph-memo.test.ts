/**
 * The module-graph memo the Jest, Vite and Metro keys share (deps/graph-memo.ts): a memoised
 * answer is the fresh one whenever a file changed, and the keys built from the manifest treat
 * its entries the same way (the list of environment names included, which the Metro key read
 * as a variable named `*`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphMemo, recordedEnvHash } from '../src/deps/graph-memo';
import { moduleGraph } from '../src/load/fingerprint';
import { hashFile } from '../src/util/hash';
import { DependencyManifest } from '../src/deps/dependency-manifest';
import { recordedDependenciesKey } from '../src/deps/bundler-dependencies';
import { ENV_LISTING } from '../src/deps/observed-dependencies';
import { resolveOptions } from '../src/build/options';
import { projectFiles } from './helpers/temp-project';

let dir = '';
const { write, edit } = projectFiles(() => dir);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cm-graph-memo-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('GraphMemo', () => {
  test('graph files: the static walk, again after an edit adds a require', () => {
    write('package.json', '{"name":"p"}');
    write('m.macro.js', "require('./a');\n");
    write('a.js', '');
    write('b.js', '');
    const memo = new GraphMemo();
    const file = path.join(dir, 'm.macro.js');
    expect(memo.graphFiles(file)).toEqual(moduleGraph(file).files);
    expect(memo.graphFiles(file)).toBe(memo.graphFiles(file)); // served from the memo
    edit('a.js', '', "require('./b');\n");
    expect(memo.graphFiles(file)).toEqual(moduleGraph(file).files);
    expect(memo.graphFiles(file)).toContain(path.join(dir, 'b.js'));
  });

  test('graph files: an unreadable module throws, and is not remembered', () => {
    const memo = new GraphMemo();
    const file = path.join(dir, 'later.macro.js');
    expect(() => memo.graphFiles(file)).toThrow();
    write('later.macro.js', '');
    expect(memo.graphFiles(file)).toEqual([file]);
  });

  test('content hashes follow edits, creation and removal', () => {
    const memo = new GraphMemo();
    const file = path.join(dir, 'data.txt');
    expect(memo.contentHash(file)).toBe('missing');
    write('data.txt', 'one');
    expect(memo.contentHash(file)).toBe(hashFile(file));
    edit('data.txt', 'one', 'two');
    expect(memo.contentHash(file)).toBe(hashFile(file));
    fs.rmSync(file);
    expect(memo.contentHash(file)).toBe('missing');
  });
});

describe('recorded environment names', () => {
  afterEach(() => {
    delete process.env.CM_GRAPH_MEMO_A;
    delete process.env.CM_GRAPH_MEMO_NEW;
  });

  test('a variable by its value; the listing by the names', () => {
    const before = recordedEnvHash('CM_GRAPH_MEMO_A');
    process.env.CM_GRAPH_MEMO_A = 'x';
    expect(recordedEnvHash('CM_GRAPH_MEMO_A')).not.toBe(before);
    const listing = recordedEnvHash(ENV_LISTING);
    process.env.CM_GRAPH_MEMO_NEW = '';
    expect(recordedEnvHash(ENV_LISTING)).not.toBe(listing);
  });

  test('the bundler key changes when a macro that listed the environment sees a new name', () => {
    const cacheDir = path.join(dir, '.cache');
    write('m.macro.js', '');
    const macro = path.join(dir, 'm.macro.js');
    DependencyManifest.at(cacheDir).record([[macro, { graph: new Set([macro]), files: new Set(), env: new Set([ENV_LISTING]) }]]);
    const options = resolveOptions({ cacheDir }, dir);
    const key = recordedDependenciesKey(options);
    expect(recordedDependenciesKey(options)).toBe(key);
    process.env.CM_GRAPH_MEMO_NEW = '1';
    expect(recordedDependenciesKey(options)).not.toBe(key);
  });
});
