/**
 * `npm run monitor:test-rules -- [--rules FILE] [--allow-missing] [--json] [FIXTURE_FILE_OR_DIR...]`:
 * tests a rules file against rule fixtures before it is loaded (rules-check.ts): each case runs
 * through the production path and its rule's firing alerts are compared with the fixture's.
 * Defaults: the rules file RULES_FILE, else apps/security-monitor/rules/default.rules.json, and the
 * fixtures in apps/security-monitor/rules/fixtures/ (paths relative to the working directory, as
 * the service reads RULES_FILE); MONITOR_ALLOWED_LATENESS_SECONDS and MONITOR_UPDATE_INTERVAL_SECONDS
 * as the service reads them. Enabled rules with no fixture, or lacking a "fires" or a
 * "near-miss" case, fail the check unless --allow-missing.
 * Exit 0 every case passed, 1 a case failed (or a rule is not covered), 2 bad input (usage, the
 * rules file refused, a fixture malformed: nothing runs).
 */
import {
  DEFAULT_FIXTURES_DIR,
  DEFAULT_RULES_FILE,
  ExitCode,
  formatReport,
  runRulesCheck,
  type RulesCheckOptions,
} from './rules-check';

const USAGE =
  'usage: npm run monitor:test-rules -- [--rules FILE] [--allow-missing] [--json] [FIXTURE_FILE_OR_DIR...]';

export class UsageError extends Error {}

export function parseCliArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
): RulesCheckOptions & { json: boolean; help: boolean } {
  let rulesFile: string | undefined;
  let json = false;
  let help = false;
  let allowMissing = false;
  const fixtures: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rules') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError('--rules needs a file');
      rulesFile = v;
    } else if (a.startsWith('--rules=')) rulesFile = a.slice('--rules='.length);
    else if (a === '--json') json = true;
    else if (a === '--allow-missing') allowMissing = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else fixtures.push(a);
  }
  if (rulesFile === '') throw new UsageError('--rules needs a file');
  const lateness = seconds(env, 'MONITOR_ALLOWED_LATENESS_SECONDS', 0, 3600);
  const update = seconds(env, 'MONITOR_UPDATE_INTERVAL_SECONDS', 1, 86_400);
  return {
    rulesFile: rulesFile ?? (env.RULES_FILE || DEFAULT_RULES_FILE),
    engine: {
      ...(lateness !== undefined ? { allowedLatenessMs: lateness * 1000 } : {}),
      ...(update !== undefined ? { updateIntervalMs: update * 1000 } : {}),
    },
    fixtures: fixtures.length ? fixtures : [DEFAULT_FIXTURES_DIR],
    allowMissing,
    json,
    help,
  };
}

/** The service's own setting, so fixtures run as the deployed monitor would (config.ts bounds). */
function seconds(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${name}: an integer ${min}..${max}`);
  return n;
}

export function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  let opts: ReturnType<typeof parseCliArgs>;
  try {
    opts = parseCliArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n${USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  if (opts.help) {
    out(USAGE);
    return ExitCode.PASS;
  }
  const report = runRulesCheck(opts);
  if (opts.json) out(JSON.stringify(report, null, 2));
  else if (report.exitCode === ExitCode.BAD_INPUT) err(formatReport(report));
  else out(formatReport(report));
  return report.exitCode;
}

if (require.main === module) {
  try {
    process.exitCode = main(
      process.argv.slice(2),
      process.env,
      (s) => console.log(s),
      (s) => console.error(s),
    );
  } catch (e) {
    console.error(`rules check failed: ${(e as Error).message}`);
    process.exitCode = ExitCode.BAD_INPUT;
  }
}
