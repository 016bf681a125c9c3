// Used by Jest (babel-jest) to run the TypeScript tests. The plugin's own transforms in tests
// pass `configFile: false` so this file never leaks into fixture output.
module.exports = {
  presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'],
};
