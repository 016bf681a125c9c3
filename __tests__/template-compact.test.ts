/**
 * Templates the process keeps are compact copies (template/compact.ts): they print the same code,
 * hold only keys with a value, and splicing them into files never mutates them, whatever later
 * plugins do to the copies.
 */
import * as babel from '@babel/core';
import generate from '@babel/generator';
import type { NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import { compactCode } from '../src/template/compact';
import { parseExpansion } from '../src/template/expansion';
import { FileSplicer } from '../src/template/splice';
import { babelRuntime } from '../src/build/babel-runtime';
import { disposeSession } from '../src/build/session';

const runtime = babelRuntime(babel as unknown as Parameters<typeof babelRuntime>[0]);
afterEach(() => disposeSession());

const CODES = [
  '(a, b = 1, ...rest) => { const [, x = 2] = rest; return a?.b ?? `t${x}\\n` + 0x1F + 1n; }',
  'function f({ a: { b } = {}, ...c }) { for (const k in c) if (!k) continue; else return /x+/giu.test(k) ? -0 : void 0; }',
  'async function* g() { yield* await import("m"); label: while (true) break label; }',
  'class C extends (0, B) { static #p = 1; get [k]() { return super.x?.(...this.#p, new.target); } }',
  '{ "q": \'s\', 1e3: [ , , 3], [x]: (y, z), async *m() {}, ...o }',
];

/** Every own key of every node in `root` whose value is null or undefined, split by whether it is a field of the node's type. */
function emptyKeys(root: t.Node): { fields: string[]; others: string[] } {
  const found = { fields: [] as string[], others: [] as string[] };
  babel.types.traverseFast(root, (n) => {
    for (const [k, v] of Object.entries(n)) {
      if (v === null || v === undefined) (k in babel.types.NODE_FIELDS[n.type] ? found.fields : found.others).push(`${n.type}.${k}`);
    }
  });
  return found;
}

function nodesOf(root: t.Node): Set<t.Node> {
  const all = new Set<t.Node>();
  babel.types.traverseFast(root, (n) => void all.add(n));
  return all;
}

test('a compact copy prints the same code, keeps null fields, drops other empty slots, and shares no node', () => {
  for (const code of CODES) {
    const parsed = runtime.parseExpression(code);
    const compact = compactCode(parsed, babel.types);
    expect(generate(compact).code).toBe(generate(parsed).code);
    expect(emptyKeys(compact)).toEqual({ fields: emptyKeys(parsed).fields, others: [] });
    const original = nodesOf(parsed);
    for (const n of nodesOf(compact)) expect(original.has(n)).toBe(false);
  }
});

test('the templates parseExpansion keeps are compact', () => {
  const template = parseExpansion({ hoist: `${CODES[0].slice(0, -1)} let u; }`, inline: '$hoisted($0, 1)', helpers: [] }, runtime);
  expect(emptyKeys(template.hoist!).others).toEqual([]);
  expect(emptyKeys(template.inline).others).toEqual([]);
  // `init: null` stays (a later plugin may test for it).
  expect(emptyKeys(template.hoist!).fields).toContain('VariableDeclarator.init');
});

test('splicing a shared template into files never mutates it, even when a later plugin rewrites the copies', () => {
  const template = parseExpansion({ hoist: CODES[1], inline: '$hoisted($0) + $0.length', helpers: [] }, runtime);
  const before = JSON.stringify(template);
  const splice = {
    visitor: {
      Program(program: NodePath<t.Program>) {
        const splicer = new FileSplicer(program, babel.types);
        program.traverse({
          CallExpression(site) {
            if (!babel.types.isIdentifier(site.node.callee, { name: 'm' })) return;
            const id = splicer.hoist(template, 'f', site.node.loc);
            splicer.rewrite(site, template, id, site.node.arguments as t.Expression[]);
          },
        });
        splicer.finish();
      },
    },
  };
  // Renames, replaces and removes inside the spliced copies.
  const vandal = {
    visitor: {
      Identifier(p: NodePath<t.Identifier>) {
        if (p.node.name.length === 1) p.node.name += '_';
      },
      UnaryExpression(p: NodePath<t.UnaryExpression>) {
        p.replaceWith(babel.types.numericLiteral(7));
      },
      ContinueStatement(p: NodePath<t.ContinueStatement>) {
        p.remove();
      },
    },
  };
  const outputs = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const out = babel.transformSync(`m(a${i}); m(b);`, { configFile: false, babelrc: false, plugins: [splice, vandal], filename: `f${i}.js` });
    // The copies were spliced and then rewritten.
    expect(out!.code).toMatch(/const _f\d* = function f_/);
    expect(out!.code).toContain('/x+/giu.test(k_) ? 7 : 7');
    outputs.add(out!.code!.replace(/\d/g, ''));
  }
  expect(outputs.size).toBe(1);
  expect(JSON.stringify(template)).toBe(before);
});
