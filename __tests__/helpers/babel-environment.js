// Jest test environment: Node's, plus the Babel core named by CACHED_MACROS_TEST_BABEL loaded
// with Node's own require. Babel 8 is ESM-only, and Jest's module registry cannot require ESM
// before Node 24.9; this file runs outside the registry, so src/testing.ts picks the core up here.
const { createRequire } = require('module');
const path = require('path');
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const KEY = Symbol.for('babel-plugin-cached-macros.test-babel');

class BabelEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    const chosen = process.env.CACHED_MACROS_TEST_BABEL;
    if (chosen) {
      const req = createRequire(path.resolve(chosen, 'package.json'));
      this.global[KEY] = { path: path.resolve(chosen), core: req(path.resolve(chosen)), resolve: (request) => req.resolve(request) };
    }
  }
}

module.exports = BabelEnvironment;
