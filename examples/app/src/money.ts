/**
 * Money formatting. Amounts are integer cents; every helper takes typed parameters, so the
 * printf expansions need no run-time conversions (`%.2f` of a `number` is just `.toFixed(2)`).
 */
import printf from 'printf.macro';

/** `1999, 'EUR'` → `"19.99 EUR"`. */
export function formatMoney(cents: number, currency: string): string {
  return printf('%.2f %s', cents / 100, currency);
}

/** `0.19` → `"19%"`: a rate as a whole percentage. */
export function formatRate(rate: number): string {
  return printf('%i%%', rate * 100);
}

/** Signed difference between two amounts, e.g. `"-2.50 EUR"`. */
export function formatDelta(before: number, after: number, currency: string): string {
  const delta = (after - before) / 100;
  return delta < 0 ? printf('%.2f %s', delta, currency) : printf('+%.2f %s', delta, currency);
}
