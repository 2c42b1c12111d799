/**
 * npm run dashboards: writes deploy/grafana/dashboards/<name>.json from the sources in this
 * folder. The JSON is committed (Grafana provisions it as is); a test checks it matches.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as prettier from 'prettier';
import { buildDashboards } from './index';

const DASHBOARDS_DIR = path.resolve(__dirname, '../dashboards');

/** The JSON text of one dashboard as committed: formatted as `prettier --check` expects it. */
async function render(name: string, d: Dashboard): Promise<string> {
  const file = path.join(DASHBOARDS_DIR, `${name}.json`);
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(JSON.stringify(d), { ...options, filepath: file });
}

/** `--out <dir>` writes elsewhere (the test compares that with the committed files). */
async function main(): Promise<void> {
  const at = process.argv.indexOf('--out');
  const out = at > 0 ? path.resolve(process.argv[at + 1]) : DASHBOARDS_DIR;
  mkdirSync(out, { recursive: true });
  const built = buildDashboards();
  // A dashboard removed from the sources is removed from Grafana too.
  for (const f of readdirSync(out)) {
    if (f.endsWith('.json') && !(f.slice(0, -5) in built)) rmSync(path.join(out, f));
  }
  for (const [name, dashboard] of Object.entries(built)) {
    writeFileSync(path.join(out, `${name}.json`), await render(name, dashboard));
    console.log(`${path.relative(process.cwd(), out)}/${name}.json: ${dashboard.panels?.length ?? 0} panels`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
