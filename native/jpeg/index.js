'use strict';
// The compiled addon (node-gyp builds it at `npm ci`; see binding.gyp and README.md).
module.exports = require('./build/Release/jpeg.node');
