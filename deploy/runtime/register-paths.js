// Resolves the @vigil/* path aliases of tsconfig.base.json against the compiled tree in dist/,
// for `node -r ./deploy/runtime/register-paths.js dist/apps/<app>/src/main.js`.
'use strict';
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../../tsconfig.base.json');

const dist = path.resolve(__dirname, '../../dist');
const paths = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  paths[alias] = [target.replace(/\.ts$/, '.js')];
}
tsconfigPaths.register({ baseUrl: dist, paths, addMatchAll: false });
