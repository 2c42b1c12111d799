import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How the CLI runs another app's command-line entry (`apps/<app>/src/<path>` without extension):
 * the compiled build when present (bin/vigil's rule), else the TypeScript sources through
 * tools/ts-register.js; `VIGIL_CLI_FROM_SOURCE=1` forces the sources.
 */
export function appScriptCommand(
  root: string,
  env: Record<string, string | undefined>,
  entry: string,
): { args: string[] } {
  const dist = join(root, 'dist', `${entry}.js`);
  if (existsSync(dist) && env.VIGIL_CLI_FROM_SOURCE !== '1')
    return { args: ['-r', join(root, 'deploy/runtime/register-paths.js'), dist] };
  return { args: ['-r', join(root, 'tools/ts-register.js'), join(root, `${entry}.ts`)] };
}
