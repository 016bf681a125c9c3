#!/usr/bin/env node
'use strict';
/**
 * Runs the built app (examples/app/dist, made by examples/build-app.js) on sample-day.json,
 * prints what it produced, and checks that the macro expansions computed the right things.
 */
const assert = require('assert');
const path = require('path');

const dist = path.join(__dirname, 'dist');
let runDay;
try {
  ({ runDay } = require(path.join(dist, 'main.js')));
} catch (e) {
  console.error(`Cannot load ${dist}/main.js: build the app first (node examples/build-app.js).\n${e.message}`);
  process.exit(1);
}
const day = require('./sample-day.json');
const { log, labels, report } = runDay(day);

for (const line of [...log, '', ...labels, '', ...report]) console.log(line);

// What the expansions must have computed. Messages come from schema.macro's templates.
const has = (lines, text) => assert.ok(lines.some((l) => l.includes(text)), `expected a line containing ${JSON.stringify(text)}`);
has(log, '[shop #1] INFO Welcome, Ada Lovelace (36)!'); // %d on an optional number
has(log, 'Welcome, Grace Hopper!');
has(log, 'Ada Lovelace <ada@example.org> from London [staff], tags: ["vip","math"]'); // fmt + %j + is()
has(log, 'user 0 rejected: id: must be at least 1');
has(log, 'user 0 rejected: email: must match the email format');
has(log, 'user 0 rejected: age: expected integer, got string');
has(log, 'user 0 rejected: role: must be one of "admin", "customer", "staff"');
has(log, 'user 0 rejected: tags[1]: expected string, got number');
has(log, 'user 0 rejected: address.zip: must match /^\\d{5}$/');
has(log, 'Ada Lovelace moved to 53111 Bonn');
has(log, 'stock record 2: location: expected string | null, got number');
has(log, 'stock record 2: onHand: must be at least 0');
has(log, 'ABC-001 x2 @ 12.50 = 25.00'); // %.2f of typed numbers
has(log, 'coupon WELCOME10: -3.50 EUR');
has(log, 'shipping (express): 12.50 EUR');
has(log, 'total: 43.99 EUR');
has(log, 'ship to: Baker St 221b, 10115 Berlin');
has(log, 'order o-1 (ORD-2a-1): 2 line(s)'); // %x: 42 → 2a
has(log, 'order o-2 (ORD-ff-2): 1 line(s)'); // 255 → ff
has(log, 'ABC-001: picked 2, 8 left');
has(log, 'ABC-001: only 8 of 9 on hand');
has(log, 'WARN order #3: order rejected: items[0].sku: must match /^[A-Z]{3}-\\d{3}$/');
has(log, 'order rejected: shipping: must be one of "standard", "express", "pickup"');
has(log, 'order rejected: ship-to zip: must match /^\\d{5}$/');
assert.deepStrictEqual(labels, ['BIN ABC-001 #1', 'BIN XYZ-042 #2']);
assert.strictEqual(report[0], 'Report: 2 new users, 2 orders, 1 rejected');
assert.strictEqual(report[1], 'Revenue: 156.49 EUR (VAT 19% included: 24.99 EUR)');
assert.strictEqual(report[2], 'Average order: 78.25 EUR');
assert.strictEqual(report[3], 'o-1 | ORD-2a-1 | 2'); // run-time format (printf.macro/runtime)
assert.strictEqual(report[5], 'reorder: ["reorder XYZ-042: 1 left (level 2) at main"]');
assert.strictEqual(report[6], '100% of orders shipped');
console.log('\ntest-run: all checks passed');
