/**
 * Order intake: validation, pricing and the lines printed on the packing slip.
 */
import printf from 'printf.macro';
import { validate, is } from 'schema.macro';
import { formatMoney } from './money';

const checkOrder = validate({
  id: 'string(1..)',
  customerId: 'integer(1..)',
  items: [{ sku: '/^[A-Z]{3}-\\d{3}$/', qty: 'integer(1..)', unitPrice: 'integer(0..)' }],
  shipping: ['standard', 'express', 'pickup'],
  coupon: 'string?',
});

/** The same address schema as users.ts: generated once, shared by both files. */
const checkShipTo = validate({ street: 'string(1..)', city: 'string', zip: /^\d{5}$/, country: ['DE', 'FR', 'NL', 'US'] });

/** A line as inventory.js sees it (the same guard is used there). */
export const isLine = is({ sku: 'string', qty: 'integer' });

const SHIPPING_CENTS = { standard: 490, express: 1250, pickup: 0 } as const;
const COUPONS: Record<string, number> = { WELCOME10: 0.1, VIP25: 0.25 };

export interface PlacedOrder {
  id: string;
  code: string;
  totalCents: number;
  lines: Array<{ sku: string; qty: number }>;
  slip: string[];
}

/** Validates an order and its shipping address, prices it, and writes its packing slip. */
export function placeOrder(input: unknown, shipTo: unknown, seq: number): PlacedOrder | string[] {
  const order = checkOrder(input);
  const address = checkShipTo(shipTo);
  if (!order.ok || !address.ok) {
    const errors = [...(order.ok ? [] : order.errors), ...(address.ok ? [] : address.errors.map((e) => printf('ship-to %s', e)))];
    return errors.map((e) => printf('order rejected: %s', e));
  }
  const { id, customerId, items, shipping, coupon } = order.value;
  const slip = items.map((item) => lineText(item.sku, item.qty, item.unitPrice));
  let subtotal = items.reduce((sum, item) => sum + item.qty * item.unitPrice, 0);
  if (coupon !== undefined) {
    const rate = COUPONS[coupon] ?? 0;
    const discount = Math.round(subtotal * rate);
    slip.push(printf('coupon %s: -%s', coupon, formatMoney(discount, 'EUR')));
    subtotal -= discount;
  }
  const totalCents = subtotal + SHIPPING_CENTS[shipping];
  slip.push(printf('shipping (%s): %s', shipping, formatMoney(SHIPPING_CENTS[shipping], 'EUR')));
  slip.push(printf('total: %s', formatMoney(totalCents, 'EUR')));
  slip.push(printf('ship to: %s, %s %s', address.value.street, address.value.zip, address.value.city));
  return { id, code: orderCode(customerId, seq), totalCents, lines: items, slip };
}

/** `"ABC-001 x2 @ 12.50 = 25.00"`. */
function lineText(sku: string, qty: number, unitCents: number): string {
  return printf('%s x%d @ %.2f = %.2f', sku, qty, unitCents / 100, (qty * unitCents) / 100);
}

/** Short order code from the customer id and a sequence number, in hex: `"ORD-2a-7"`. */
export function orderCode(customerId: number, seq: number): string {
  return printf('ORD-%x-%x', customerId, seq);
}
