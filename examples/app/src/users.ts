/**
 * User registration: input arrives as untyped JSON and is checked by a validator compiled at
 * build time from the schema literal.
 */
import printf, { fmt } from 'printf.macro';
import { validate, is } from 'schema.macro';

const checkUser = validate({
  id: 'integer(1..)',
  name: 'string(1..80)',
  email: 'email',
  age: 'integer(0..150)?',
  role: ['admin', 'customer', 'staff'],
  tags: ['string'],
  address: { street: 'string(1..)', city: 'string', zip: /^\d{5}$/, country: ['DE', 'FR', 'NL', 'US'] },
});

/** Address updates arrive on their own; orders.ts validates the same shape (one shared expansion). */
export const checkAddress = validate({ street: 'string(1..)', city: 'string', zip: /^\d{5}$/, country: ['DE', 'FR', 'NL', 'US'] });

const isStaff = is({ role: ['admin', 'staff'] });

export type User = {
  id: number;
  name: string;
  email: string;
  age?: number;
  role: 'admin' | 'customer' | 'staff';
  tags: string[];
  address: { street: string; city: string; zip: string; country: 'DE' | 'FR' | 'NL' | 'US' };
};

/** Validates and registers one user; returns the user or the reasons for rejecting it. */
export function registerUser(input: unknown): { user?: User; messages: string[] } {
  const result = checkUser(input);
  if (!result.ok) {
    const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
    return { messages: result.errors.map((e) => printf('user %j rejected: %s', id, e)) };
  }
  const user = result.value;
  return { user, messages: [greeting(user.name, user.age), describeUser(user)] };
}

/** A greeting; the age is optional. */
export function greeting(name: string, age: number | undefined): string {
  return age === undefined ? printf('Welcome, %s!', name) : printf('Welcome, %s (%d)!', name, age);
}

/** One line about a user. */
export function describeUser(user: User): string {
  const staff = isStaff(user) ? ' [staff]' : '';
  return fmt`${user.name} <${user.email}> from ${user.address.city}${staff}, tags: ${user.tags}%j`;
}

/** Moves a user, if the new address is valid. */
export function moveUser(user: User, address: unknown): string {
  const result = checkAddress(address);
  if (!result.ok) return printf('cannot move %s: %s', user.name, result.errors.join('; '));
  user.address = result.value;
  return printf('%s moved to %s %s', user.name, result.value.zip, result.value.city);
}
