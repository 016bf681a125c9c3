import { parseSync, traverse, types as t } from '@babel/core';
import generate from '@babel/generator';
import fc from 'fast-check';
import {
  applyConstArgs,
  describeSignature,
  inferArgType,
  makeSignature,
  signatureHint,
  signatureKey,
  tagArgTypes,
  widen,
} from '../src/signature';
import type { ArgType, ConstValue } from '../src/api/types';

// ---------------------------------------------------------------------------------------------
// Helpers

function parse(code: string, sourceType: 'module' | 'script' = 'module'): t.File {
  const ast = parseSync(code, {
    configFile: false,
    babelrc: false,
    filename: 'x.ts',
    sourceType,
    parserOpts: { plugins: ['typescript'] },
  });
  if (!ast) throw new Error('no AST');
  return ast;
}

/** The inferred argument types of the first `m(…)` call or `` m`…` `` tag in the file. */
function argsOf(ast: t.File): ArgType[] {
  let result: ArgType[] | undefined;
  traverse(ast, {
    CallExpression(path) {
      if (!result && path.get('callee').isIdentifier({ name: 'm' })) {
        result = path.get('arguments').map((arg) => inferArgType(arg));
        path.stop(); // (and do not walk very deep test arguments)
      }
    },
    TaggedTemplateExpression(path) {
      if (!result && path.get('tag').isIdentifier({ name: 'm' })) {
        result = tagArgTypes(path.get('quasi'));
        path.stop();
      }
    },
  });
  if (!result) throw new Error('no call to m');
  return result;
}

const keyOf = (code: string, sourceType?: 'module' | 'script'): string => signatureKey(argsOf(parse(code, sourceType)));
/** The key of a single argument `expr`, without the surrounding parentheses. */
const argKey = (expr: string, prelude = ''): string => keyOf(`${prelude}\nm(${expr});`).slice(1, -1);
const typeOf = (expr: string, prelude = ''): ArgType => argsOf(parse(`${prelude}\nm(${expr});`))[0];

const c = (value: ConstValue): ArgType => ({ kind: 'const', value });
const k = (kind: Exclude<ArgType['kind'], 'const' | 'array' | 'object'>): ArgType => ({ kind });
const arr = (...elements: ArgType[]): ArgType => ({ kind: 'array', elements });
const obj = (properties: Record<string, ArgType>): ArgType => ({ kind: 'object', properties });

/** Structural equality of ArgTypes: const values by Object.is, object keys as a set. */
function sameType(a: ArgType, b: ArgType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'const') return Object.is(a.value, (b as typeof a).value);
  if (a.kind === 'array') {
    const other = (b as typeof a).elements;
    return a.elements.length === other.length && a.elements.every((e, i) => sameType(e, other[i]));
  }
  if (a.kind === 'object') {
    const other = (b as typeof a).properties;
    const keys = Object.keys(a.properties);
    return (
      keys.length === Object.keys(other).length &&
      keys.every((key) => Object.hasOwn(other, key) && sameType(a.properties[key], other[key]))
    );
  }
  return true;
}
const sameArgs = (a: readonly ArgType[], b: readonly ArgType[]): boolean =>
  a.length === b.length && a.every((x, i) => sameType(x, b[i]));

/** Declarations the expression tables can use. */
const PRELUDE = `
declare const s: string, s2: string, n: number, n2: number, b: boolean, big: bigint, big2: bigint;
declare const o: { a: string };
declare let u: any, u2: any;
`;

// ---------------------------------------------------------------------------------------------
// inferArgType

describe('inferArgType: literals', () => {
  test.each([
    [`'a'`, '"a"'],
    [`"a"`, '"a"'],
    [`'a,b)'`, '"a,b)"'],
    ['1', '1'],
    ['0x10', '16'],
    ['1_000', '1000'],
    ['1.5e3', '1500'],
    ['.5', '0.5'],
    ['1e21', '1e+21'],
    ['-1', '-1'],
    ['-0', '-0'],
    ['- -1', '1'],
    ['true', 'true'],
    ['false', 'false'],
    ['null', 'null'],
    ['1n', '1n'],
    ['0x1fn', '31n'],
    ['1_000n', '1000n'],
    ['-1n', '-1n'],
    ['undefined', 'undefined'],
    ['void 0', 'undefined'],
    ['void u()', 'undefined'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
    ['/a/g', 'regexp "a" "g"'],
    ['function () {}', 'function'],
    ['function* () {}', 'function'],
    ['async () => 1', 'function'],
    ['() => {}', 'function'],
    ['class {}', 'unknown'],
    ['u', 'unknown'],
    ['undeclared', 'unknown'],
    ['u.a', 'unknown'],
    ['u()', 'unknown'],
    ['new RegExp("a")', 'unknown'],
    ['this', 'unknown'],
    ['u++', 'unknown'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });

  test('gives the exact ArgType objects', () => {
    expect(typeOf(`'a'`)).toEqual(c('a'));
    expect(typeOf('null')).toEqual(c(null));
    expect(typeOf('void 0')).toEqual(c(undefined));
    expect(typeOf('1n')).toEqual(c(1n));
    expect(Object.is((typeOf('-0') as { value: number }).value, -0)).toBe(true);
    expect(typeOf('/a/')).toEqual({ kind: 'regexp', pattern: 'a', flags: '' });
  });

  test('spread arguments are unknown', () => {
    expect(keyOf('m(...u, 1)')).toBe('(unknown, 1)');
  });
});

describe('inferArgType: shadowed globals', () => {
  test.each([
    ['function f(undefined) { m(undefined) }', '(unknown)'],
    ['{ const undefined = 2; m(undefined) }', '(2)'],
    ['function f(NaN: string) { m(NaN) }', '(string)'],
    ['function f() { var Infinity = u; m(Infinity) }', '(unknown)'],
    ['function f(x) { m(undefined, NaN, Infinity) }', '(undefined, NaN, Infinity)'],
  ])('%s → %s', (code, expected) => {
    expect(keyOf(code)).toBe(expected);
  });

  test('a `with` block can shadow anything', () => {
    expect(keyOf('const a = 1; with (u) { m(undefined, a) }', 'script')).toBe('(unknown, unknown)');
  });
});

describe('inferArgType: template literals', () => {
  test.each([
    ['`a`', '"a"'],
    ['``', '""'],
    ['`a\\nb`', '"a\\nb"'],
    ["`a${1}b${'c'}`", '"a1bc"'],
    ['`${-0}`', '"0"'],
    ['`${1n}${null}${undefined}${true}${NaN}`', '"1nullundefinedtrueNaN"'],
    ['`${`${1}`}`', '"1"'],
    ['`a${u}`', 'string'],
    ['`${s}`', 'string'],
    ['`${[1]}`', 'string'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });
});

describe('inferArgType: arrays', () => {
  test.each([
    ['[]', '[]'],
    ["[1, 'a', [true, []]]", '[1, "a", [true, []]]'],
    ['[, 1]', '[undefined, 1]'],
    ['[1, ,]', '[1, undefined]'],
    ['[s, u]', '[string, unknown]'],
    ['[...u]', 'unknown'],
    ['[1, ...[2]]', 'unknown'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });

  test('structure', () => {
    expect(typeOf(`[1, 'a']`)).toEqual(arr(c(1), c('a')));
  });
});

describe('inferArgType: objects', () => {
  test.each([
    ['{}', '{}'],
    ["{ b: 1, a: 'x' }", '{a: "x", b: 1}'],
    ["{ 'a-b': 1, 2: u, ['k' + 1]: true }", '{"2": unknown, "a-b": 1, k1: true}'],
    ['{ 0x10: 1, 1.50: 2, 1e21: 3 }', '{"1.5": 2, "16": 1, "1e+21": 3}'],
    ['{ [1n]: 1, [-0]: 2, [null]: 3 }', '{"0": 2, "1": 1, null: 3}'],
    ['{ f() {}, async g() {}, *h() {}, i: () => 1 }', '{f: function, g: function, h: function, i: function}'],
    ['{ get a() { return 1 } }', '{a: unknown}'],
    ['{ set a(v) {} }', '{a: unknown}'],
    ['{ a: 1, a: 2 }', '{a: 2}'],
    ['{ get a() { return 1 }, a: 2 }', '{a: 2}'],
    ['{ a: { b: [1] } }', '{a: {b: [1]}}'],
    ['{ ...u }', 'unknown'],
    ['{ a: 1, ...{} }', 'unknown'],
    ['{ [u]: 1 }', 'unknown'],
    ['{ [s]: 1 }', 'unknown'],
    ['{ __proto__: null }', 'unknown'],
    ["{ ['__proto__']: 1 }", 'unknown'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });

  test('shorthand properties follow the binding', () => {
    expect(argKey('{ a }', 'const a = 1;')).toBe('{a: 1}');
  });

  test('structure', () => {
    expect(typeOf(`{ b: 1, a: /x/ }`)).toEqual(obj({ a: { kind: 'regexp', pattern: 'x', flags: '' }, b: c(1) }));
  });
});

describe('inferArgType: unary operators', () => {
  test.each([
    ["-'1'", '-1'],
    ["+'1'", '1'],
    ["+' 12 '", '12'],
    ['+true', '1'],
    ['-null', '-0'],
    ['+undefined', 'NaN'],
    ['~5', '-6'],
    ['~1.5', '-2'],
    ['~1n', '-2n'],
    ['-n', 'number'],
    ['-s', 'number'],
    ['-b', 'number'],
    ['-big', 'bigint'],
    ['~big', 'bigint'],
    ['-u', 'unknown'],
    ['-[]', 'unknown'],
    ['+u', 'number'],
    ['+1n', 'number'],
    ['+big', 'number'],
    ['!0', 'true'],
    ["!'a'", 'false'],
    ['!null', 'true'],
    ['![]', 'false'],
    ['!{}', 'false'],
    ['!/a/', 'false'],
    ['!(() => 1)', 'false'],
    ['!s', 'boolean'],
    ['!u', 'boolean'],
    ['!!1', 'true'],
    ['typeof 1', '"number"'],
    ["typeof 'a'", '"string"'],
    ['typeof 1n', '"bigint"'],
    ['typeof null', '"object"'],
    ['typeof undefined', '"undefined"'],
    ['typeof s', '"string"'],
    ['typeof big', '"bigint"'],
    ['typeof (() => 1)', '"function"'],
    ['typeof /a/', '"object"'],
    ['typeof []', '"object"'],
    ['typeof {}', '"object"'],
    ['typeof u', 'string'],
    ['typeof undeclared', 'string'],
    ['void u', 'undefined'],
    ['delete u.a', 'boolean'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });
});

describe('inferArgType: binary operators', () => {
  test.each([
    // folded with JavaScript's own semantics
    ['1 + 2', '3'],
    ["'a' + 1", '"a1"'],
    ["1 + '1'", '"11"'],
    ['1 + null', '1'],
    ['true + true', '2'],
    ["'a' + undefined", '"aundefined"'],
    ["'a' + 1n", '"a1"'],
    ['0.1 + 0.2', '0.30000000000000004'],
    ['1 / 0', 'Infinity'],
    ['-1 / 0', '-Infinity'],
    ['0 / 0', 'NaN'],
    ['1 * -0', '-0'],
    ['2 ** 10', '1024'],
    ['(-2) ** 3', '-8'],
    ['7 % 3', '1'],
    ['-7 % 3', '-1'],
    ["'6' * '7'", '42'],
    ['1n + 2n', '3n'],
    ['2n ** 64n', '18446744073709551616n'],
    ['7n / 2n', '3n'],
    ['-1 >>> 0', '4294967295'],
    ['1 << 31', '-2147483648'],
    ['5 & 3 | 8 ^ 1', '9'],
    ["1 == '1'", 'true'],
    ["1 === '1'", 'false'],
    ['null == undefined', 'true'],
    ['NaN === NaN', 'false'],
    ['-0 === 0', 'true'],
    ["'b' > 'a'", 'true'],
    ["'10' < '9'", 'true'],
    ['1n < 2', 'true'],
    ["1n == '1'", 'true'],
    // not folded: these throw at run time
    ['1n + 1', 'unknown'],
    ['1n * 2', 'number'],
    ['2n ** -1n', 'bigint'],
    ["'a' in 'b'", 'boolean'],
    ['1 instanceof u', 'boolean'],
    // inferred
    ['s + 1', 'string'],
    ['1 + s', 'string'],
    ['u + s', 'string'],
    ["u + 'a'", 'string'],
    ['n + 1', 'number'],
    ['n + n2', 'number'],
    ['n + true', 'number'],
    ['b + null', 'number'],
    ['big + 1n', 'bigint'],
    ['big + big2', 'bigint'],
    ['big + n', 'unknown'],
    ['u + 1', 'unknown'],
    ['u + u2', 'unknown'],
    ['[] + 1', 'unknown'],
    ['n - u', 'number'],
    ['s * u', 'number'],
    ['u ** n', 'number'],
    ['u - u2', 'unknown'],
    ['big - 1n', 'bigint'],
    ['big * n', 'number'],
    ['u >>> 0', 'number'],
    ['big >>> 1n', 'number'],
    ['u << big', 'unknown'],
    ['n | 0', 'number'],
    ['u < 1', 'boolean'],
    ['u === n', 'boolean'],
    ['u != null', 'boolean'],
    ['u in o', 'boolean'],
    ['u instanceof u2', 'boolean'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });
});

describe('inferArgType: huge folds are widened, not computed', () => {
  test('string doubling through consts', () => {
    const lines = ["const s0 = 'abcdefgh';"];
    for (let i = 1; i <= 40; i++) lines.push(`const s${i} = s${i - 1} + s${i - 1};`);
    expect(argKey('s40', lines.join('\n'))).toBe('string');
    expect(argKey('s10', lines.join('\n'))).toBe(JSON.stringify('abcdefgh'.repeat(1024)));
  });

  test.each([
    ['2n ** 100000000n', 'bigint'],
    ['2n ** 10n ** 10n', 'bigint'],
    ['1n << 100000000n', 'bigint'],
    ['1n >> -100000000n', 'bigint'],
    ['(-1n) ** 100000000n', '1n'],
    ['0n ** 100000000n', '0n'],
    ['1n >> 100000000n', '0n'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr)).toBe(expected);
  });

  test('bigint squaring through consts', () => {
    const lines = ['const a0 = 3n;'];
    for (let i = 1; i <= 40; i++) lines.push(`const a${i} = a${i - 1} * a${i - 1};`);
    expect(argKey('a40', lines.join('\n'))).toBe('bigint');
    expect(argKey('a3', lines.join('\n'))).toBe(`${3n ** 8n}n`);
  });
});

describe('inferArgType: logical and conditional operators', () => {
  test.each([
    ["1 && 'a'", '"a"'],
    ['0 && u', '0'],
    ["'' || 2", '2'],
    ["'x' || u", '"x"'],
    ['null ?? 1', '1'],
    ['undefined ?? s', 'string'],
    ['0 ?? 1', '0'],
    ['[] || u', '[]'],
    ['o ?? 1', '{a: string}'],
    ['n ?? 1', 'number'],
    ["s && 'a'", 'string'],
    ['s || s2', 'string'],
    ['n && 1', 'number'],
    ['b || 1', 'unknown'],
    ['u ?? 1', 'unknown'],
    ['u && u2', 'unknown'],
    ["true ? 1 : 'a'", '1'],
    ["0 ? 1 : 'a'", '"a"'],
    ['{} ? 1 : 2', '1'],
    ['u ? 1 : 2', 'number'],
    ["u ? 'a' : 1", 'unknown'],
    ['u ? 1 : 1', '1'],
    ['u ? NaN : NaN', 'NaN'],
    ['u ? 0 : -0', 'number'],
    ["u ? [1, 'a'] : [2, 'a']", '[number, "a"]'],
    ['u ? { a: 1, b: s } : { b: s, a: 2 }', '{a: number, b: string}'],
    ['u ? { a: 1 } : { b: 1 }', 'unknown'],
    ['u ? [1] : [1, 2]', 'unknown'],
    ['u ? [1] : { 0: 1 }', 'unknown'],
    ['u ? null : null', 'null'],
    ["u ? s : 'x'", 'string'],
    ['u ? () => 1 : function () {}', 'function'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });
});

describe('inferArgType: sequences, parentheses and TypeScript wrappers', () => {
  test.each([
    ['(u, 1)', '1'],
    ['(1, u)', 'unknown'],
    ['((((1))))', '1'],
    ['1 as number', 'number'],
    ["'a' as string", 'string'],
    ['u as string', 'string'],
    ['u as unknown as string', 'string'],
    ["'a' as 'a'", '"a"'],
    ['1 as any', '1'],
    ['u as string[]', 'unknown'],
    ['<string>u', 'string'],
    ['<any>1', '1'],
    ["[1, 'a'] as const", '[1, "a"]'],
    ['(1 as const)', '1'],
    ['[1, u] as [number, string]', '[number, string]'],
    ["'a' satisfies string", '"a"'],
    ['u satisfies string', 'unknown'],
    ['{ a: 1 } satisfies object', '{a: 1}'],
    ['u!', 'unknown'],
    ['s!', 'string'],
    ['1!', '1'],
  ])('%s → %s', (expr, expected) => {
    expect(argKey(expr, PRELUDE)).toBe(expected);
  });

  test('instantiation expressions keep the value', () => {
    expect(argKey('g<string>', 'const g = <T,>(x: T) => x;')).toBe('function');
  });
});

describe('inferArgType: const propagation', () => {
  test.each([
    ['const a = 1; const b = a + 1; const c = `${b}!`; m(c)', '("2!")'],
    ['const a = 1, b = a * 2; m(a, b)', '(1, 2)'],
    ["const a = 1; function f() { const a = 'x'; m(a) }", '("x")'],
    ["const a = 1; function f(a: string) { m(a) }", '(string)'],
    ['const f = () => 1; m(f)', '(function)'],
    ['const r = /a/; m(r)', '(regexp "a" "")'],
    ['function g() {} m(g)', '(function)'],
    ['function g() {} g = u; m(g)', '(unknown)'],
    ['let a = 1; m(a)', '(unknown)'],
    ['var a = 1; m(a)', '(unknown)'],
    ['let a: number = 1; m(a)', '(number)'],
    ['let a: number; a = 2; m(a)', '(number)'],
    ['var a: string; m(a)', '(string)'],
    ["import x from 'y'; m(x)", '(unknown)'],
    ["import * as ns from 'y'; m(ns)", '(unknown)'],
    ['class C {} m(C)', '(unknown)'],
    ['const { a } = { a: 1 }; m(a)', '(unknown)'],
    ["const { length } = 'abc'; m(length)", '(unknown)'],
    ["const [first] = 'xy'; m(first)", '(unknown)'],
    ['const { a }: { a: string } = u; m(a)', '(unknown)'],
    ['const [a] = [1]; m(a)', '(unknown)'],
    ['for (const q of [1]) m(q)', '(unknown)'],
    ['try {} catch (e) { m(e) }', '(unknown)'],
    ['declare const d: string; m(d)', '(string)'],
    ["const a: string = 'x'; m(a)", '("x")'],
    ['const a: string = u; m(a)', '(string)'],
    ['const a = u; m(a)', '(unknown)'],
    ['export const a = 1; m(a)', '(1)'],
    ['m(a); const a = 1;', '(1)'],
  ])('%s → %s', (code, expected) => {
    expect(keyOf(`declare let u: any;\n${code}`)).toBe(expected);
  });

  test.each([
    // arrays and objects can be mutated through the binding before the call: only `as const` is trusted
    ['const o = { a: 1 }; o.a = 2; m(o)', '(unknown)'],
    ['const xs = [1]; xs.push(2); m(xs)', '(unknown)'],
    ['const o = { a: 1 } as const; m(o)', '({a: 1})'],
    ['const o = { a: [1] } as const satisfies object; m(o)', '({a: [1]})'],
    ["const t = [1, 'a'] as const; const t2 = t; m(t2)", '([1, "a"])'],
    ['const o = { a: [1] as const }; m(o)', '(unknown)'],
    ['const a: [number] = [1]; m(a)', '([number])'],
    ['const o = { a: 1 }; m({ o, k: 1 })', '({k: 1, o: unknown})'],
    ['const o = { a: 1 }; m(typeof o)', '(string)'],
    ['const n = [1, 2].length; m(n)', '(unknown)'],
  ])('%s → %s', (code, expected) => {
    expect(keyOf(code)).toBe(expected);
  });

  test('cycles terminate as unknown', () => {
    expect(keyOf('const a = b; const b = a; m(a, b)')).toBe('(unknown, unknown)');
    expect(keyOf('const a = a + 1; m(a)')).toBe('(unknown)');
    expect(keyOf('const a = b + 1; const b = a + 1; m(a)')).toBe('(unknown)');
    expect(keyOf("const a = { x: b } as const; const b = [a] as const; m(a)")).toBe('({x: [unknown]})');
  });

  test('shared subexpressions are inferred once (no exponential blow-up)', () => {
    const lines = ['const a0 = 1;'];
    for (let i = 1; i <= 60; i++) lines.push(`const a${i} = a${i - 1} + a${i - 1};`);
    expect(keyOf(`${lines.join('\n')}\nm(a60)`)).toBe(`(${2 ** 60})`);
  });

  test('very deep expressions and binding chains give up instead of overflowing the stack', () => {
    // (Babel's own parser overflows a little beyond 1000 terms.)
    const sum = (terms: number): string => Array.from({ length: terms }, () => '1').join(' + ');
    expect(argKey(sum(300))).toBe('300');
    expect(argKey(sum(1000))).toBe('unknown');
    const chain = ['const a0 = 1;'];
    for (let i = 1; i <= 3000; i++) chain.push(`const a${i} = a${i - 1};`);
    expect(argKey('a3000', chain.join('\n'))).toBe('unknown');
    expect(argKey('a10', chain.join('\n'))).toBe('1');
    const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    expect(argKey(nested(100))).toBe(nested(100));
  });
});

describe('inferArgType: TypeScript annotations', () => {
  test.each([
    ['string', 'string'],
    ['number', 'number'],
    ['boolean', 'boolean'],
    ['bigint', 'bigint'],
    ['null', 'type null'],
    ['undefined', 'type undefined'],
    ['RegExp', 'regexp'],
    ['Function', 'function'],
    ['() => void', 'function'],
    ['(a: string) => number', 'function'],
    ['[string, number]', '[string, number]'],
    ['readonly [string, 1]', '[string, 1]'],
    ['[a: string, b: number]', '[string, number]'],
    ['[]', '[]'],
    ["{ a: string; 'b-c': number; m(): void; readonly d: true }", '{a: string, "b-c": number, d: true, m: function}'],
    ["{ 1: string; ['k']: number }", '{"1": string, k: number}'],
    ['{}', '{}'],
    ['{ a: { b: [null] } }', '{a: {b: [type null]}}'],
    ["'a'", '"a"'],
    ['1', '1'],
    ['-1', '-1'],
    ['true', 'true'],
    ['1n', '1n'],
    ['`a`', '"a"'],
    ['`a${string}`', 'string'],
    ['(string)', 'string'],
    ["'a' | 'b'", 'string'],
    ['1 | 2', 'number'],
    ["'a' | 'a'", '"a"'],
    ['string | number', 'unknown'],
    ['string | undefined', 'unknown'],
    ['[1] | [2]', '[number]'],
    ['string[]', 'unknown'],
    ['Array<string>', 'unknown'],
    ['RegExp<string>', 'unknown'],
    ['any', 'unknown'],
    ['unknown', 'unknown'],
    ['void', 'unknown'],
    ['never', 'unknown'],
    ['object', 'unknown'],
    ['symbol', 'unknown'],
    ['String', 'unknown'],
    ['new () => object', 'unknown'],
    ['keyof { a: 1 }', 'unknown'],
    ['string & {}', 'unknown'],
    ['{ a?: string }', 'unknown'],
    ['{ [k: string]: number }', 'unknown'],
    ['{ (): void }', 'unknown'],
    ['{ get a(): string }', 'unknown'],
    ['{ a }', '{a: unknown}'],
    ['{ __proto__: string }', 'unknown'],
    ['[string?]', 'unknown'],
    ['[a?: string]', 'unknown'],
    ['[...string[]]', 'unknown'],
    ['[string, ...number[]]', 'unknown'],
    ['typeof u', 'unknown'],
  ])('x: %s → %s', (type, expected) => {
    expect(keyOf(`declare let u: any;\nfunction f(x: ${type}) { m(x) }`)).toBe(`(${expected})`);
    expect(keyOf(`declare let u: any;\nlet x: ${type};\nm(x)`)).toBe(`(${expected})`);
  });

  test.each([
    ['function f(a: string, b: number) { m(a, b) }', '(string, number)'],
    ['const f = (a: string) => m(a)', '(string)'],
    ['const f = function (a: 1) { m(a) }', '(1)'],
    ['class C { method(a: boolean) { m(a) } }', '(boolean)'],
    ['const o = { method(a: bigint) { m(a) } }', '(bigint)'],
    ['function f(a?: string) { m(a) }', '(unknown)'],
    ['function f(a = 1) { m(a) }', '(unknown)'],
    ['function f(a: number = 1) { m(a) }', '(number)'],
    ['function f(...a: [string]) { m(a) }', '(unknown)'],
    ['function f({ a }: { a: string }) { m(a) }', '(unknown)'],
    ['function f(a) { m(a) }', '(unknown)'],
  ])('%s → %s', (code, expected) => {
    expect(keyOf(code)).toBe(expected);
  });

  test.each([
    ['type RegExp = string; function f(x: RegExp) { m(x) }'],
    ['interface Function { a: 1 } function f(x: Function) { m(x) }'],
    ['function f<RegExp>(x: RegExp) { m(x) }'],
    ['class C<Function> { method(x: Function) { m(x) } }'],
    ["import type { RegExp } from 'y'; function f(x: RegExp) { m(x) }"],
    ['class RegExp {} function f(x: RegExp) { m(x) }'],
    ['export type RegExp = 1; function f(x: RegExp) { m(x) }'],
    ['namespace N { type RegExp = 1; function f(x: RegExp) { m(x) } }'],
    ['function g() { enum RegExp { A } function f(x: RegExp) { m(x) } }'],
  ])('a local RegExp/Function type is not the global one: %s', (code) => {
    expect(keyOf(code)).toBe('(unknown)');
  });

  test('constructor parameter properties are not bindings Babel tracks', () => {
    expect(keyOf('class C { constructor(private p: string) { m(p) } }')).toBe('(unknown)');
  });
});

// ---------------------------------------------------------------------------------------------
// tagArgTypes

describe('tagArgTypes', () => {
  test.each([
    ['m`a${1}b${u}c`', '(["a", "b", "c"], 1, unknown)'],
    ['m``', '([""])'],
    ['m`${s}`', '(["", ""], string)'],
    ['m`a\\nb`', '(["a\\nb"])'],
    ['m`\\unicode`', '([undefined])'],
  ])('%s → %s', (code, expected) => {
    expect(keyOf(`${PRELUDE}\n${code}`)).toBe(expected);
  });

  test('the strings are an array of const elements', () => {
    expect(argsOf(parse('m`a${1}b`'))).toEqual([arr(c('a'), c('b')), c(1)]);
  });
});

// ---------------------------------------------------------------------------------------------
// widen and applyConstArgs

describe('widen', () => {
  test.each<[ArgType, ArgType]>([
    [c('a'), k('string')],
    [c(1), k('number')],
    [c(NaN), k('number')],
    [c(true), k('boolean')],
    [c(null), k('null')],
    [c(undefined), k('undefined')],
    [c(1n), k('bigint')],
    [k('regexp'), k('regexp')],
    [k('unknown'), k('unknown')],
    [arr(c(1), arr(c('x')), k('function')), arr(k('number'), arr(k('string')), k('function'))],
    [obj({ a: c(1), b: obj({ c: c(null) }) }), obj({ a: k('number'), b: obj({ c: k('null') }) })],
  ])('%j', (type, expected) => {
    expect(widen(type)).toEqual(expected);
  });

  test('does not mutate its argument', () => {
    const type = arr(c(1));
    widen(type);
    expect(type).toEqual(arr(c(1)));
  });
});

describe('applyConstArgs', () => {
  const args = [c('a'), c(1), arr(c(true)), k('string')];

  test.each<[Parameters<typeof applyConstArgs>[1], ArgType[]]>([
    [undefined, args],
    ['all', args],
    ['none', [k('string'), k('number'), arr(k('boolean')), k('string')]],
    [[0, 2], [c('a'), k('number'), arr(c(true)), k('string')]],
    [[], [k('string'), k('number'), arr(k('boolean')), k('string')]],
    [[1, 7, -1], [k('string'), c(1), arr(k('boolean')), k('string')]],
  ])('%j', (constArgs, expected) => {
    expect(applyConstArgs(args, constArgs)).toEqual(expected);
  });

  test('returns a new array', () => {
    expect(applyConstArgs(args, 'all')).not.toBe(args);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys and signatures

describe('signatureKey', () => {
  test('the documented example', () => {
    expect(
      signatureKey([k('string'), c(1), c('a'), arr(k('number'), c('x')), obj({ b: c(true), a: k('number') })]),
    ).toBe('(string, 1, "a", [number, "x"], {a: number, b: true})');
  });

  test('no arguments', () => {
    expect(signatureKey([])).toBe('()');
  });

  test.each<[string, ArgType, ArgType]>([
    ['"1" vs 1', c('1'), c(1)],
    ['1 vs number', c(1), k('number')],
    ['"number" vs number', c('number'), k('number')],
    ['-0 vs 0', c(-0), c(0)],
    ['NaN vs "NaN"', c(NaN), c('NaN')],
    ['1n vs 1', c(1n), c(1)],
    ['null vs type null', c(null), k('null')],
    ['undefined vs type undefined', c(undefined), k('undefined')],
    ['undefined vs "undefined"', c(undefined), c('undefined')],
    ['true vs "true"', c(true), c('true')],
    ['[] vs [[]]', arr(), arr(arr())],
    ['{} vs []', obj({}), arr()],
    ['["a, b"] vs ["a", "b"]', arr(c('a, b')), arr(c('a'), c('b'))],
    ['{"a: 1, b": 1} vs {a: 1, b: 1}', obj({ 'a: 1, b': c(1) }), obj({ a: c(1), b: c(1) })],
    ['"a)" vs "a"', c('a)'), c('a')],
  ])('distinct: %s', (_, a, b) => {
    expect(signatureKey([a])).not.toBe(signatureKey([b]));
  });

  test('a string containing structure cannot collide with two arguments', () => {
    expect(signatureKey([c('a", "b')])).not.toBe(signatureKey([c('a'), c('b')]));
  });

  test('object key order does not matter', () => {
    expect(signatureKey([obj({ b: c(1), a: c(2) })])).toBe(signatureKey([obj({ a: c(2), b: c(1) })]));
  });

  test('odd object keys are quoted', () => {
    expect(signatureKey([obj(Object.fromEntries([['__proto__', c(1)], ['a b', c(2)], ['$ok_1', c(3)], ['', c(4)]]))])).toBe(
      '({"": 4, $ok_1: 3, __proto__: 1, "a b": 2})',
    );
  });

  test('source spelling does not matter', () => {
    const variants = [
      "m('a', 1, [true], { b: 1n, a: null })",
      'm("a", 0x1, [ true ], { a: null, b: 1n, })',
      'm( /* c */ `a` , 1.0 , [/* x */true] , { "a": null, [\'b\']: 0x1n } ) // trailing',
      "m(('a'), (1), ([!0]), ({ ['a']: void 0 === void 1 ? null : 1, b: 1n }))",
    ];
    const keys = variants.map((code) => keyOf(code));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe('("a", 1, [true], {a: null, b: 1n})');
  });
});

describe('makeSignature', () => {
  test('args and key', () => {
    const sig = makeSignature([c(1), k('string')]);
    expect(sig.key).toBe('(1, string)');
    expect(sig.args).toEqual([c(1), k('string')]);
  });

  test('deeply frozen, and independent of the input', () => {
    const input: ArgType[] = [arr(c(1)), obj({ b: k('number'), a: arr() })];
    const sig = makeSignature(input);
    (input[0] as unknown as { elements: ArgType[] }).elements.push(c(2));
    input.push(c(3));
    expect(sig.key).toBe('([1], {a: [], b: number})');
    expect(sig.args).toHaveLength(2);
    expect(Object.isFrozen(sig)).toBe(true);
    expect(Object.isFrozen(sig.args)).toBe(true);
    const [first, second] = sig.args as [Extract<ArgType, { kind: 'array' }>, Extract<ArgType, { kind: 'object' }>];
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.elements)).toBe(true);
    expect(Object.isFrozen(first.elements[0])).toBe(true);
    expect(Object.isFrozen(second.properties)).toBe(true);
    expect(Object.isFrozen(second.properties.a)).toBe(true);
    expect(Object.keys(second.properties)).toEqual(['a', 'b']);
  });

  test('an own "__proto__" property survives', () => {
    const sig = makeSignature([obj(Object.fromEntries([['__proto__', c(1)]]))]);
    const properties = (sig.args[0] as Extract<ArgType, { kind: 'object' }>).properties;
    expect(Object.keys(properties)).toEqual(['__proto__']);
    expect(sig.key).toBe('({__proto__: 1})');
  });
});

describe('describeSignature', () => {
  test('short keys are shown whole', () => {
    const sig = makeSignature([c('a'), k('number')]);
    expect(describeSignature(sig)).toBe(sig.key);
  });

  test('long keys are cut short', () => {
    const sig = makeSignature([c('x'.repeat(1000))]);
    const text = describeSignature(sig);
    expect(text.length).toBeLessThanOrEqual(160);
    expect(text.endsWith('…')).toBe(true);
    expect(sig.key.startsWith(text.slice(0, -1))).toBe(true);
  });

  test('never splits a surrogate pair', () => {
    for (let pad = 0; pad < 4; pad++) {
      const text = describeSignature(makeSignature([c(`${'x'.repeat(pad)}${'😀'.repeat(200)}`)]));
      expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
  });
});

describe('signatureHint', () => {
  test.each<[ArgType[], string]>([
    [[k('string'), k('number')], 'str_num'],
    [[c(1), c(2)], 'num_num'],
    [[obj({})], 'obj'],
    [[arr()], 'arr'],
    [[k('function'), k('unknown')], 'fn_any'],
    [[], 'noargs'],
    [[k('string'), k('number'), k('boolean')], 'str_num_bool'],
    [[k('undefined'), k('undefined'), k('undefined'), k('null')], 'undef_undef_undef'],
    [[c('id=%x'), k('string'), k('number')], 'id_x_str_num'],
    [[arr(c('Total: '), c('%.2f EUR')), k('number')], 'Total_2f_EUR_num'],
    [[c(true), c(null), c(undefined), c(1n)], 'true_null_undef_big'],
    [[c(''), c('42 items'), c('été')], 'str_items_ete'],
  ])('%j → %s', (args, expected) => {
    expect(signatureHint(makeSignature(args))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const KINDS = ['string', 'number', 'boolean', 'bigint', 'null', 'undefined', 'regexp', 'function', 'unknown'] as const;

/** Small domains, so that equal and nearly equal types come up often. */
const constValue: fc.Arbitrary<ConstValue> = fc.oneof(
  fc.constantFrom<ConstValue>('', 'a', '1', 'NaN', 'null', 'undefined', 'true', ', ', ')', '"', 'a", "b', 0, -0, 1, NaN, Infinity, -Infinity, 1n, -1n, 0n, true, false, null, undefined),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.bigInt(),
);
const propertyName = fc.oneof(fc.constantFrom('a', 'b', '__proto__', '1', 'a b', '', '"', 'a: 1', 'constructor'), fc.string());

const { argType } = fc.letrec<{ argType: ArgType }>((tie) => ({
  argType: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    constValue.map((value): ArgType => ({ kind: 'const', value })),
    fc.constantFrom(...KINDS).map((kind): ArgType => ({ kind })),
    fc.array(tie('argType'), { maxLength: 3 }).map((elements): ArgType => ({ kind: 'array', elements })),
    fc
      .array(fc.tuple(propertyName, tie('argType')), { maxLength: 3 })
      .map((entries): ArgType => ({ kind: 'object', properties: Object.fromEntries(entries) })),
  ),
}));
const argList = fc.array(argType, { maxLength: 4 });

/** A structurally equal copy with object keys in a different order. */
function reordered(type: ArgType): ArgType {
  if (type.kind === 'array') return arr(...type.elements.map(reordered));
  if (type.kind === 'object') {
    return obj(Object.fromEntries(Object.keys(type.properties).reverse().map((key) => [key, reordered(type.properties[key])])));
  }
  return type.kind === 'const' ? c(type.value) : k(type.kind);
}

describe('properties', () => {
  test('keys are equal exactly when the signatures are structurally equal', () => {
    fc.assert(
      fc.property(argList, argList, (a, b) => {
        expect(signatureKey(a) === signatureKey(b)).toBe(sameArgs(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  test('equal signatures (built differently) have equal keys', () => {
    fc.assert(
      fc.property(argList, (a) => {
        expect(signatureKey(a.map(reordered))).toBe(signatureKey(a));
      }),
    );
  });

  test('small domains: keys agree with structural equality', () => {
    const tiny = fc.letrec<{ t: ArgType }>((tie) => ({
      t: fc.oneof(
        { depthSize: 'small', maxDepth: 2 },
        fc.constantFrom<ConstValue>(0, -0, '0', null, undefined, 0n).map((value): ArgType => ({ kind: 'const', value })),
        fc.constantFrom('null', 'undefined', 'number').map((kind) => k(kind)),
        fc.array(tie('t'), { maxLength: 2 }).map((elements): ArgType => ({ kind: 'array', elements })),
        fc
          .array(fc.tuple(fc.constantFrom('a', '0'), tie('t')), { maxLength: 2 })
          .map((entries): ArgType => ({ kind: 'object', properties: Object.fromEntries(entries) })),
      ),
    })).t;
    fc.assert(
      fc.property(fc.array(tiny, { maxLength: 2 }), fc.array(tiny, { maxLength: 2 }), (a, b) => {
        expect(signatureKey(a) === signatureKey(b)).toBe(sameArgs(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  test('makeSignature keeps the structure and its key', () => {
    fc.assert(
      fc.property(argList, (a) => {
        const sig = makeSignature(a);
        expect(sameArgs(sig.args, a)).toBe(true);
        expect(sig.key).toBe(signatureKey(a));
      }),
    );
  });

  test('widen leaves no const, is idempotent, and keeps the shape', () => {
    const hasConst = (type: ArgType): boolean =>
      type.kind === 'const' ||
      (type.kind === 'array' && type.elements.some(hasConst)) ||
      (type.kind === 'object' && Object.values(type.properties).some(hasConst));
    fc.assert(
      fc.property(argType, (type) => {
        const wide = widen(type);
        expect(hasConst(wide)).toBe(false);
        expect(signatureKey([widen(wide)])).toBe(signatureKey([wide]));
        expect(signatureKey(applyConstArgs([type], 'none'))).toBe(signatureKey([wide]));
      }),
    );
  });

  test('hints are short identifier parts', () => {
    fc.assert(
      fc.property(argList, (a) => {
        expect(signatureHint(makeSignature(a))).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,19}$/);
      }),
    );
  });
});

describe('properties: source formatting does not change the key', () => {
  const FORMAT_PRELUDE = `
declare const s: string, n: number, o: { a: string };
declare let u: any;
const c1 = 1;
const c2 = 'x' + c1;
`;
  const leaf = fc.oneof(
    fc.constantFrom(
      '1', '0', '0x1F', '1.5', '1e3', '1e21', '"a"', "'b'", '"a,b)"', '`t`', 'true', 'false', 'null', 'undefined',
      'void 0', 'NaN', 'Infinity', '1n', '0x10n', '/re/g', '() => 1', 'function () {}', 's', 'n', 'o', 'u', 'c1', 'c2',
      '[]', '{}',
    ),
    fc.integer().map(String),
    fc.string().map((text) => JSON.stringify(text)),
  );
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf,
      fc.tuple(fc.constantFrom('-', '+', '!', '~', 'typeof ', 'void '), tie('expr')).map(([op, a]) => `${op}(${a})`),
      fc
        .tuple(
          tie('expr'),
          fc.constantFrom('+', '-', '*', '/', '%', '**', '|', '&', '^', '<<', '>>', '>>>', '==', '!=', '===', '!==', '<', '>=', 'in', '&&', '||', '??'),
          tie('expr'),
        )
        .map(([a, op, b]) => `(${a}) ${op} (${b})`),
      fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, d]) => `(${a}) ? (${b}) : (${d})`),
      fc.array(tie('expr'), { maxLength: 3 }).map((xs) => `[${xs.join(', ')}]`),
      fc
        .array(fc.tuple(fc.constantFrom('a', "'b'", '1', "['c']", '[c1]'), tie('expr')), { maxLength: 3 })
        .map((props) => `{ ${props.map(([key, v]) => `${key}: (${v})`).join(', ')} }`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `\`x\${${a}}y\${${b}}\``),
      fc.tuple(tie('expr'), fc.constantFrom('string', 'number', "'k'", '[string, 1]', 'const', 'any')).map(([a, type]) =>
        type === 'const' ? `([${a}] as const)` : `((${a}) as ${type})`,
      ),
      tie('expr').map((a) => `((${a}) satisfies unknown)`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `((${a}), (${b}))`),
    ),
  }));

  /** Every expression gets a comment, and literals lose their original spelling. */
  function decorate(ast: t.File): t.File {
    const copy = t.cloneNode(ast, true);
    traverse(copy, {
      enter(path) {
        if (path.isExpression()) t.addComment(path.node, 'leading', ' c ', false);
        if (path.isLiteral() && !path.isTemplateLiteral()) delete path.node.extra;
      },
    });
    return copy;
  }

  const printers: ((ast: t.File) => string)[] = [
    (ast) => generate(ast, { compact: true }).code,
    (ast) => generate(ast, { retainLines: true }).code,
    (ast) => generate(ast, { minified: true, jsescOption: { quotes: 'single', numbers: 'hexadecimal' } }).code,
    (ast) => generate(decorate(ast), { comments: true }).code,
    (ast) => generate(decorate(ast), { comments: true, jsescOption: { quotes: 'double' } }).code,
    (ast) => generate(decorate(ast), { comments: true, compact: true, jsescOption: { numbers: 'octal' } }).code,
  ];

  test('reprinted sources give the same key', () => {
    fc.assert(
      fc.property(expr, expr, (a, b) => {
        const ast = parse(`${FORMAT_PRELUDE}\nm(${a}, ${b});`);
        const key = signatureKey(argsOf(ast));
        for (const print of printers) {
          const code = print(ast);
          expect([code, keyOf(code)]).toEqual([code, key]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('regexp literals', () => {
  test('carry pattern and flags into the key; widening drops them', () => {
    expect(signatureKey([typeOf('/a/')])).not.toBe(signatureKey([typeOf('/b/')]));
    expect(signatureKey([typeOf('/a/')])).not.toBe(signatureKey([typeOf('/a/i')]));
    expect(signatureKey([typeOf('/a/')])).toBe(signatureKey([typeOf('/a/ /* comment */')]));
    expect(widen(typeOf('/a/g'))).toEqual({ kind: 'regexp' });
    expect(signatureKey([widen(typeOf('/a/g'))])).toBe('(regexp)');
    // A pattern that looks like structure cannot collide with it.
    expect(signatureKey([typeOf('/", b/')])).toBe('(regexp "\\", b" "")');
  });
});
