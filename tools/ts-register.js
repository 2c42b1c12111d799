// Runs TypeScript sources directly (dev and tests that spawn a service):
//   node -r ./tools/ts-register.js apps/<app>/src/main.ts
// Transpiles each .ts file on load with the workspace's compiler options (decorator metadata
// included, no type check: `npm run typecheck` does that) and resolves the @vigil/* aliases.
// Transpiled output is kept in .cache/ts-register/, addressed by a hash of the compiler version,
// the options, the file's path and its source: a service restarted from source (the fault suites
// SIGKILL and restart them) starts in about 2 s instead of 6-7 s on a loaded 2-core machine, and
// an edited file can never be served stale. TS_REGISTER_CACHE=0 turns the cache off.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const tsconfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..');
const { compilerOptions } = require(path.join(root, 'tsconfig.base.json'));
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths, addMatchAll: false });

const tsVersion = require('typescript/package.json').version;
const cacheDir = process.env.TS_REGISTER_CACHE === '0' ? undefined : path.join(root, '.cache', 'ts-register');
let ts;
let options;

/** The compiler and its options, loaded on the first file the cache does not hold. */
function compiler() {
  if (!ts) {
    ts = require('typescript');
    options = {
      ...ts.convertCompilerOptionsFromJson(compilerOptions, root).options,
      module: ts.ModuleKind.CommonJS,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
    };
  }
  return { ts, options };
}

// Bump when the options set in compiler() change: they are part of what the output depends on.
const FORMAT = 1;
const salt = `${FORMAT}\0${tsVersion}\0${JSON.stringify(compilerOptions)}\0`;

function transpile(source, filename) {
  const { ts, options } = compiler();
  return ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
}

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  if (!cacheDir) return module._compile(transpile(source, filename), filename);
  const key = crypto
    .createHash('sha256')
    .update(salt)
    .update(filename)
    .update('\0')
    .update(source)
    .digest('hex');
  const cached = path.join(cacheDir, key.slice(0, 2), `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, filename);
    try {
      fs.mkdirSync(path.dirname(cached), { recursive: true });
      // Written aside, then renamed: a concurrent reader sees the whole file or none.
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, output);
      fs.renameSync(tmp, cached);
    } catch {
      // A read-only or full disk only costs the next start its transpile.
    }
  }
  module._compile(output, filename);
};
