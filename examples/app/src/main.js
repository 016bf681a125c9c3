/**
 * One business day: register users, place orders, pick them from stock, and report.
 * Returns everything it printed, so test-run.js can check it.
 */
import printf from 'printf.macro';
import { registerUser, moveUser } from './users';
import { placeOrder } from './orders';
import { loadStock, pick, reorderList, binLabel } from './inventory';
import { buildReport } from './report';
import { createLogger } from './log';

/**
 * @param {{ users: unknown[], orders: Array<{ order: unknown, shipTo: unknown }>, stock: unknown[] }} input
 * @param {{ style?: 'table' | 'csv' }} [options]
 */
export function runDay(input, options = {}) {
  const log = createLogger('shop');
  const users = [];
  for (const raw of input.users) {
    const { user, messages } = registerUser(raw);
    if (user) users.push(user);
    for (const m of messages) log.info('%s', m);
  }
  if (users.length > 0) log.info('%s', moveUser(users[0], { street: 'Hauptstr. 1', city: 'Bonn', zip: '53111', country: 'DE' }));

  const { stock, problems } = loadStock(input.stock);
  for (const p of problems) log.warn('%s (%d problem(s) in total)', p, problems.length);
  const labels = [...stock.keys()].map((sku, i) => binLabel(sku, i));

  const orders = [];
  let rejected = 0;
  input.orders.forEach(({ order, shipTo }, i) => {
    const placed = placeOrder(order, shipTo, i + 1);
    if (Array.isArray(placed)) {
      rejected += 1;
      for (const e of placed) log.warn('%s: %s', printf('order #%d', i + 1), e);
      return;
    }
    orders.push(placed);
    log.info('%s', printf('order %s (%s): %d line(s)', placed.id, placed.code, placed.lines.length));
    for (const line of placed.slip) log.info('  %s', line);
    for (const result of pick(stock, placed.lines)) log.info('  %s', result);
  });

  const report = buildReport({ users, orders, rejected, reorder: reorderList(stock) }, options.style ?? 'table');
  return { log: log.lines, labels, report };
}
