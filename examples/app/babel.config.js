// The example app's Babel config: the macro plugin first (it expands macros on Program entry,
// before TypeScript annotations are stripped, so it can use them as argument types), then
// TypeScript and CommonJS output for Node.
//
// CACHED_MACROS_DIR lets examples/build-app.js point the store at a scratch directory; by
// default it lives in node_modules/.cache/cached-macros under this folder.
module.exports = (api) => {
  const cacheDir = process.env.CACHED_MACROS_DIR;
  api.cache.using(() => cacheDir ?? '');
  return {
    plugins: [
      ['babel-plugin-cached-macros', cacheDir ? { cacheDir } : {}],
      '@babel/plugin-transform-modules-commonjs',
    ],
    presets: ['@babel/preset-typescript'],
  };
};
