/** The type of a unary or binary operator's result from its operands' types, folded when they are `const`. */
import type * as t from '@babel/types';
import type { ArgType } from '../api/types';
import {
  BIGINT,
  BOOLEAN,
  CONST_UNDEFINED,
  NUMBER,
  STRING,
  UNKNOWN,
  isConst,
  isStringType,
  numericKind,
  primitiveNumericKind,
  truthiness,
  typeofName,
} from './algebra';
import { bigintTooBig, fold } from './fold';

export function inferUnary(operator: t.UnaryExpression['operator'], arg: ArgType): ArgType {
  switch (operator) {
    case 'void':
      return CONST_UNDEFINED;
    case '!': {
      const truthy = truthiness(arg);
      return truthy === undefined ? BOOLEAN : { kind: 'const', value: !truthy };
    }
    case 'typeof': {
      const name = typeofName(arg);
      return name === undefined ? STRING : { kind: 'const', value: name };
    }
    case '+':
      // Unary plus is ToNumber: a number, or a TypeError (bigint).
      return (isConst(arg) && fold(() => +(arg.value as number))) || NUMBER;
    case '-':
    case '~': {
      if (isConst(arg)) {
        const folded = fold(() => (operator === '-' ? -(arg.value as number) : ~(arg.value as number)));
        if (folded) return folded;
      }
      const numeric = numericKind(arg);
      return numeric === 'bigint' ? BIGINT : numeric === 'number' ? NUMBER : UNKNOWN;
    }
    default:
      return operator === 'delete' ? BOOLEAN : UNKNOWN;
  }
}

// `any`: these run the real JavaScript operators on ConstValues, which is what makes folding exact.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BinaryOp = (a: any, b: any) => unknown;
const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '**': (a, b) => a ** b,
  '&': (a, b) => a & b,
  '|': (a, b) => a | b,
  '^': (a, b) => a ^ b,
  '<<': (a, b) => a << b,
  '>>': (a, b) => a >> b,
  '>>>': (a, b) => a >>> b,
  '==': (a, b) => a == b,
  '!=': (a, b) => a != b,
  '===': (a, b) => a === b,
  '!==': (a, b) => a !== b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

export function inferBinary(operator: t.BinaryExpression['operator'], left: ArgType, right: ArgType): ArgType {
  const op = Object.hasOwn(BINARY_OPS, operator) ? BINARY_OPS[operator] : undefined;
  if (op && isConst(left) && isConst(right) && !bigintTooBig(operator, left.value, right.value)) {
    // A throw (1n + 1) is not folded: the general rules below apply.
    const folded = fold(() => op(left.value, right.value));
    if (folded) return folded;
  }
  switch (operator) {
    case '+': {
      // Either side a string: concatenation, whatever the other side converts to.
      if (isStringType(left) || isStringType(right)) return STRING;
      // Otherwise both sides must be known non-string primitives: an unknown side may be a string.
      const l = primitiveNumericKind(left);
      const r = primitiveNumericKind(right);
      return l && l === r ? { kind: l } : UNKNOWN;
    }
    case '-':
    case '*':
    case '/':
    case '%':
    case '**':
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>': {
      // A side known to become a Number makes the result a number (or a TypeError on a bigint).
      const l = numericKind(left);
      const r = numericKind(right);
      if (l === 'number' || r === 'number') return NUMBER;
      return l === 'bigint' && r === 'bigint' ? BIGINT : UNKNOWN;
    }
    case '>>>':
      return NUMBER; // bigints throw
    case '|>':
      return UNKNOWN;
    default:
      return BOOLEAN; // comparisons, equality, `in`, `instanceof`
  }
}
