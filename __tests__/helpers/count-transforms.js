// A Babel plugin that appends the name of every file Babel actually transforms to a log:
// a side channel, independent of the plugin under test, showing which files a cache re-served.
const fs = require('fs');
const path = require('path');

module.exports = function countTransforms(api, { log }) {
  return {
    name: 'count-transforms',
    visitor: {
      Program(_path, state) {
        fs.appendFileSync(log, `${path.basename(state.filename)}\n`);
      },
    },
  };
};
