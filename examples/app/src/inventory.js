/**
 * Stock keeping (plain JavaScript: argument types come from literals and operators only, so
 * more printf arguments are `unknown` here and get run-time conversions).
 */
import printf, { fmt } from 'printf.macro';
import { validate, is } from 'schema.macro';

const checkStock = validate({
  sku: '/^[A-Z]{3}-\\d{3}$/',
  onHand: 'integer(0..)',
  reorderAt: 'integer(0..)',
  location: 'string|null',
});

/** The same guard as orders.ts: one expansion, generated once, served to both files. */
const isLine = is({ sku: 'string', qty: 'integer' });

/**
 * Loads stock records, keeping the valid ones.
 * @param {unknown[]} records
 * @returns {{ stock: Map<string, object>, problems: string[] }}
 */
export function loadStock(records) {
  const stock = new Map();
  const problems = [];
  records.forEach((record, index) => {
    const result = checkStock(record);
    if (result.ok) stock.set(record.sku, { ...record });
    else for (const error of result.errors) problems.push(printf('stock record %d: %s', index, error));
  });
  return { stock, problems };
}

/**
 * Takes the order lines out of stock.
 * @param {Map<string, object>} stock
 * @param {unknown[]} lines
 * @returns {string[]} what happened, one line per order line
 */
export function pick(stock, lines) {
  return lines.map((line) => {
    if (!isLine(line)) return printf('skipped malformed line %j', line);
    const item = stock.get(line.sku);
    if (!item) return printf('%s: unknown SKU', line.sku);
    if (item.onHand < line.qty) return printf('%s: only %d of %d on hand', line.sku, item.onHand, line.qty);
    item.onHand -= line.qty;
    return printf('%s: picked %d, %d left', line.sku, line.qty, item.onHand);
  });
}

/**
 * Items at or below their reorder level.
 * @param {Map<string, object>} stock
 * @returns {string[]}
 */
export function reorderList(stock) {
  const out = [];
  for (const item of stock.values()) {
    if (item.onHand <= item.reorderAt) {
      out.push(fmt`reorder ${item.sku}: ${item.onHand} left (level ${item.reorderAt}) at ${item.location ?? 'main'}`);
    }
  }
  return out;
}

/** Bin label, with the SKU's number in hex: `"BIN ABC-001 #1"`. */
export function binLabel(sku, index) {
  return printf('BIN %s #%x', sku, index + 1);
}
