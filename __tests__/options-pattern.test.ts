/**
 * `macroPattern` given as a RegExp with the `g` or `y` flag: `RegExp#test` is stateful with
 * those (it starts at `lastIndex`), so a plain use would skip every other macro import.
 */
import path from 'path';
import { expand } from '../src/testing';
import { resolveOptions } from '../src/build/options';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'call-forms', 'macro-pattern-option');
const code = `import kind from '../../macros/kind';
import kind2 from '../../macros/kind';
export const a = kind('x');
export const b = kind2(1);
`;

describe('macroPattern RegExp with stateful flags', () => {
  it.each([['g', /\/kind$/g], ['y', /.*\/kind$/y], ['gy', /.*\/kind$/gy]])('flag %s: every import matching it is a macro, in every file', (_f, pattern) => {
    for (let i = 0; i < 3; i++) {
      const { code: out } = expand(code, { filename: path.join(FIXTURES, 'input.js'), pluginOptions: { macroPattern: pattern } });
      expect(out).not.toMatch(/kind/);
      expect(out).toContain('"const string"');
    }
  });

  it('is normalised (g/y stripped), other flags kept, and the caller\'s RegExp is left alone', () => {
    const given = /\/KIND$/giy;
    given.lastIndex = 3;
    const { macroPattern } = resolveOptions({ macroPattern: given }, process.cwd());
    expect(macroPattern.flags).toBe('i');
    expect(macroPattern.source).toBe(given.source);
    expect(given.lastIndex).toBe(3);
    expect([1, 2, 3].map(() => macroPattern.test('./kind'))).toEqual([true, true, true]);
  });
});
