// The library's entry for plain Node: loads the TypeScript sources through tsx (scoped to them, no global hook).
'use strict';
module.exports = require('tsx/cjs/api').require('./src/index.ts', __filename);
