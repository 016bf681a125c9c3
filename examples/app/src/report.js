/**
 * The end-of-day report. Mostly tagged templates (fmt), with one row format chosen at run time.
 */
import printf, { fmt } from 'printf.macro';
import { formatMoney, formatRate } from './money';

const VAT = 0.19;

/**
 * @param {{ users: object[], orders: object[], rejected: number, reorder: string[] }} day
 * @param {'table' | 'csv'} style
 * @returns {string[]}
 */
export function buildReport(day, style) {
  const { users, orders, rejected, reorder } = day;
  const revenue = orders.reduce((sum, o) => sum + o.totalCents, 0);
  const lines = [
    fmt`Report: ${users.length} new users, ${orders.length} orders, ${rejected} rejected`,
    fmt`Revenue: ${formatMoney(revenue, 'EUR')} (VAT ${formatRate(VAT)} included: ${formatMoney(Math.round(revenue - revenue / (1 + VAT)), 'EUR')})`,
    fmt`Average order: ${orders.length === 0 ? 0 : revenue / orders.length / 100}%.2f EUR`,
  ];
  // A run-time format: compiled to printf.macro/runtime's format().
  const row = style === 'csv' ? '%s,%s,%d' : '%s | %s | %d';
  for (const o of orders) lines.push(printf(row, o.id, o.code, o.lines.length));
  lines.push(printf('reorder: %j', reorder));
  lines.push(printf('%d%% of orders shipped', orders.length === 0 ? 0 : 100));
  return lines;
}
