/**
 * The text-keyed memos behind "a generator's output is parsed once per process": bounded, LRU,
 * and invisible in results (equal text, equal template; invalid output still throws every time).
 */
import { disposeSession } from '../src/build/session';
import * as babel from '@babel/core';
import fc from 'fast-check';
import { TextMemo } from '../src/template/text-memo';
import { ExpansionError, parseExpansion, serializeExpansion } from '../src/template/expansion';
import { babelRuntime } from '../src/build/babel-runtime';
import { memoryTier } from '../src/store/memory-tier';

const runtime = babelRuntime(babel as unknown as Parameters<typeof babelRuntime>[0]);

describe('TextMemo', () => {
  test('property: never holds more key characters than its budget, and keeps the most recent key that fits', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.integer()), { maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (ops, budget) => {
        const memo = new TextMemo<number>(budget);
        const model = new Map<string, number>();
        for (const [key, value] of ops) {
          memo.set(key, value);
          if (key.length <= budget) {
            model.delete(key);
            model.set(key, value);
          }
          let chars = [...model.keys()].reduce((n, k) => n + k.length, 0);
          for (const k of model.keys()) {
            if (chars <= budget) break;
            model.delete(k);
            chars -= k.length;
          }
          if (key.length <= budget) expect(memo.get(key)).toBe(value);
          // get() refreshed `key`: mirror that in the model's order.
          if (model.has(key)) {
            model.delete(key);
            model.set(key, value);
          }
        }
        expect(memo.size).toBe(model.size);
        for (const [k, v] of model) expect(memo.get(k)).toBe(v);
      }),
    );
  });

  test('evicts the least recently used first', () => {
    const memo = new TextMemo<string>(6);
    memo.set('aa', 'A');
    memo.set('bb', 'B');
    memo.set('cc', 'C');
    expect(memo.get('aa')).toBe('A'); // now the most recent
    memo.set('dd', 'D');
    expect(memo.get('bb')).toBeUndefined();
    expect([memo.get('aa'), memo.get('cc'), memo.get('dd')]).toEqual(['A', 'C', 'D']);
  });
});

describe('expansion memos', () => {
  test('equal text gives the same (shared, never mutated) template', () => {
    const exp = { hoist: '(a, b) => a + b', inline: '$hoisted($0, $1)', helpers: [] };
    const one = parseExpansion(exp, runtime);
    const two = parseExpansion({ ...exp, helpers: [] }, runtime);
    expect(two).toBe(one);
    expect(parseExpansion({ ...exp, inline: '$hoisted($1, $0)' }, runtime)).not.toBe(one);
    expect(parseExpansion({ ...exp, hoist: null, inline: '$0 + $1' }, runtime).hoist).toBeNull();
  });

  test('a memoised serialisation equals a fresh one, and its helpers are a fresh copy each time', () => {
    const helpers = [{ placeholder: '$helper0', source: 'rt', name: 'fmt' }];
    const first = serializeExpansion({ inline: '$helper0($0)' }, 1, helpers, runtime);
    const again = serializeExpansion({ inline: '$helper0($0)' }, 1, helpers, runtime);
    expect(again).toEqual(first);
    expect(again.helpers).not.toBe(first.helpers);
    expect(again.helpers[0]).not.toBe(helpers[0]);
    // The arity and the helpers are part of the key: the same text is checked against each.
    expect(() => serializeExpansion({ inline: '$helper0($0)' }, 0, helpers, runtime)).toThrow(ExpansionError);
    expect(() => serializeExpansion({ inline: '$helper0($0)' }, 1, [], runtime)).toThrow(/not returned by ctx.helper/);
  });

  test('invalid output throws on every call, never served from a memo', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => serializeExpansion('1 + 2', 0, [], runtime)).toThrow(/where a function expression was expected/);
      expect(() => serializeExpansion({ inline: '$0 +' }, 1, [], runtime)).toThrow(/does not parse/);
    }
  });

  test('a string expansion and an { inline } one with the same text stay distinct', () => {
    const fn = serializeExpansion('(x) => x', 1, [], runtime);
    const inline = serializeExpansion({ inline: '(x) => x' }, 1, [], runtime);
    expect(fn.hoist).not.toBeNull();
    expect(inline.hoist).toBeNull();
  });
});

describe('a new expansion is parsed once (the validating parse seeds the parsed memo)', () => {
  beforeEach(() => disposeSession());
  afterEach(() => disposeSession());

  /** What a lookup in a fresh process would parse: the stored text, no memo. */
  const fresh = (exp: ReturnType<typeof serializeExpansion>) => {
    disposeSession();
    return JSON.parse(JSON.stringify(parseExpansion(exp, runtime)));
  };

  test.each([
    ['{ hoist, inline }, printed as we print', { hoist: '(a, b) => a + b', inline: '$hoisted($0, $1)' }, 2],
    ['{ inline } only', { inline: '$0 * 2' }, 1],
    ['a function expression', '(a, b) => {\n  return a - b;\n}', 2],
  ])('%s: the template a lookup gets is the one the validation parsed, equal to a fresh parse of the stored text', (_name, value, argc) => {
    const exp = serializeExpansion(value, argc, [], runtime);
    const parse = jest.spyOn(runtime, 'parseExpression');
    const seeded = parseExpansion(exp, runtime);
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(seeded.source).toBe(exp);
    expect(JSON.parse(JSON.stringify(seeded))).toEqual(fresh(exp));
  });

  test('text printed differently from what the generator returned is parsed again from the stored text', () => {
    const exp = serializeExpansion({ hoist: '(a,b)=>a+b', inline: '$hoisted($0,$1)' }, 2, [], runtime);
    expect(exp.hoist).toBe('(a, b) => a + b');
    const parse = jest.spyOn(runtime, 'parseExpression');
    const template = parseExpansion(exp, runtime);
    expect(parse.mock.calls.map(([code]) => code)).toEqual(['(a, b) => a + b', '$hoisted($0, $1)']);
    parse.mockRestore();
    expect(template.source).toBe(exp);
    expect(JSON.parse(JSON.stringify(template))).toEqual(fresh(exp));
  });

  test('property: for generated arithmetic, a lookup after serialising equals a fresh parse of the stored text', () => {
    const expr = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom('$0', '$1', '1', '0x10', '1e3', '"s"', "'q'", 'x.y', '[1, 2]', '{ a: 1 }', '`t${$0}`'),
        fc.tuple(tie('e'), fc.constantFrom('+', '*', '-', '&&', '??', '===', ','), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
        tie('e').map((a) => `f(${a})`),
      ),
    })).e as fc.Arbitrary<string>;
    fc.assert(
      fc.property(expr, fc.boolean(), (code, withHoist) => {
        disposeSession();
        const value = withHoist ? { hoist: `(v) => ${code.replace(/\$\d/g, 'v')}`, inline: '$hoisted($0)' } : { inline: code };
        const exp = serializeExpansion(value, 2, [], runtime);
        const looked = JSON.parse(JSON.stringify(parseExpansion(exp, runtime)));
        expect(looked).toEqual(fresh(exp));
      }),
      { numRuns: 150 },
    );
  });
});

describe('the memory tier is bounded by code size', () => {
  afterEach(() => disposeSession());

  test('a parsed template knows the size of the code it came from', () => {
    const exp = { hoist: '(a) => a * 2', inline: '$hoisted($0)', helpers: [] };
    expect(parseExpansion(exp, runtime).codeSize).toBe(exp.hoist.length + exp.inline.length);
    expect(parseExpansion({ hoist: null, inline: '$0 + 1', helpers: [] }, runtime).codeSize).toBe(6);
  });

  test('large templates evict older ones (the budget is 250,000 characters), small ones do not', () => {
    const inline = parseExpansion({ hoist: null, inline: '$0', helpers: [] }, runtime).inline;
    const big = (i: number) => ({ template: { hoist: null, inline, helpers: [], codeSize: 100_000 + i }, deps: [] });
    for (let i = 0; i < 3; i++) memoryTier.set(`big${i}`, big(i));
    expect(memoryTier.get('big0')).toBeUndefined();
    expect(memoryTier.get('big1')).toBeDefined();
    expect(memoryTier.get('big2')).toBeDefined();
    disposeSession();
    for (let i = 0; i < 1000; i++) memoryTier.set(`small${i}`, { template: { hoist: null, inline, helpers: [], codeSize: 36 }, deps: [] });
    expect(memoryTier.get('small0')).toBeDefined();
  });
});
