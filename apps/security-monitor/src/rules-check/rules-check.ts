import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeEvent, encodeEvent, eventKey, type EventOf } from '@vigil/contracts';
import { responseOutcomeOf, toActionEvent, toAlertEvent } from '../alerts/alert-events';
import type { EngineAlert, EngineOptions } from '../engine/detection-engine';
import { runPartitioned } from '../engine/partitioned-run';
import { type RuleSet } from '../engine/rule-definition';
import { parseRuleSet, RulesFileError } from '../engine/rule-validation';
import { expandCase, FixtureEventError, type FixtureEvent } from './fixture-events';
import { CASE_KINDS, FixtureError, parseFixture, type FixtureCase, type FixtureFile } from './fixture-file';

/*
 * The rules check (`npm run monitor:test-rules`, and the spec that holds the shipped rules to their
 * fixtures): a rules file and fixture files in, one verdict per case out. Each case runs alone
 * through what the service runs: its events encoded and decoded by the contracts, the whole rules
 * file in user-stage engines on 2 input partitions (keyed as the gateway keys them), the events a
 * keyed rule (ip, route, password_fingerprint) needs forwarded to the keyed-stage engines, the
 * partial counts merged into the global engine (engine/partitioned-run.ts, records through their
 * codecs), time moved on past the last
 * event so alerts resolve, and each transition built into the SECURITY_ALERT the publisher would
 * publish and validated by the contracts. The rule's firing alerts are compared with `expect`.
 */

export const DEFAULT_RULES_FILE = 'apps/security-monitor/rules/default.rules.json';
export const DEFAULT_FIXTURES_DIR = 'apps/security-monitor/rules/fixtures';
/** Input partitions of a case's run: enough that user, IP and global state live apart. */
export const CHECK_PARTITIONS = 2;
/** Event time each partition is handed per round (live consumers step through time together). */
export const CHECK_STEP_SECONDS = 1;

export const ExitCode = { PASS: 0, FAILED: 1, BAD_INPUT: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface RulesCheckOptions {
  /** The rules file to test (default RULES_FILE, else DEFAULT_RULES_FILE). */
  rulesFile: string;
  /** Fixture files and directories (a directory: every *.json in it). */
  fixtures: string[];
  /** Rules with no fixture file, or lacking a "fires" or "near-miss" case, do not fail the check. */
  allowMissing?: boolean;
  /** Engine options (defaults: the service's, 30 s lateness and update interval). */
  engine?: Pick<EngineOptions, 'allowedLatenessMs' | 'updateIntervalMs'>;
}

export interface FiringSeen {
  key: string;
  count: number;
  at: string;
}

export interface CaseResult {
  file: string;
  rule: string;
  case: string;
  kind: FixtureCase['kind'];
  status: 'pass' | 'fail' | 'skip';
  /** What differed (fail), or why it was skipped. */
  problems: string[];
  events: number;
  /** This rule's firing alerts, as published. */
  firings: FiringSeen[];
  /** What this rule's firing alerts would do (the response notes the publisher adds to their summaries). */
  responses: string[];
  /** Firing alerts of the other rules (by rule id): what else this traffic would raise. */
  otherFirings: Record<string, number>;
}

export interface RulesCheckReport {
  rulesFile: string;
  rules: number;
  exitCode: ExitCode;
  /** Bad input (exit 2): the rules file refused, a fixture malformed; nothing ran. */
  errors: string[];
  cases: CaseResult[];
  /** Enabled rules with no fixture file or lacking a case kind (failures unless allowMissing). */
  coverage: Array<{ rule: string; problem: string }>;
  summary: { passed: number; failed: number; skipped: number; uncovered: number };
}

interface LoadedCase {
  fixture: FixtureFile;
  c: FixtureCase;
  events: FixtureEvent[];
}

const emptyReport = (rulesFile: string, errors: string[]): RulesCheckReport => ({
  rulesFile,
  rules: 0,
  exitCode: ExitCode.BAD_INPUT,
  errors,
  cases: [],
  coverage: [],
  summary: { passed: 0, failed: 0, skipped: 0, uncovered: 0 },
});

/** Reads and validates a rules file as the service does at load (engine/rule-definition.ts). */
export function loadRulesFile(file: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesFileError([`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseRuleSet(text);
}

/** The fixture files named: files as given, directories as the *.json files in them (sorted). */
export function fixtureFilesOf(paths: string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      errors.push(`${p}: no such file or directory`);
      continue;
    }
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name.endsWith('.json')) files.push(path.join(p, name));
    } else files.push(p);
  }
  const seen = new Set<string>();
  return { files: files.filter((f) => !seen.has(path.resolve(f)) && seen.add(path.resolve(f))), errors };
}

/** Runs the check; never throws for bad input (it is reported with exit code 2). */
export function runRulesCheck(opts: RulesCheckOptions): RulesCheckReport {
  let rules: RuleSet;
  try {
    rules = loadRulesFile(opts.rulesFile);
  } catch (err) {
    if (err instanceof RulesFileError)
      return emptyReport(
        opts.rulesFile,
        err.problems.map((p) => `rules file ${opts.rulesFile}: ${p}`),
      );
    throw err;
  }
  const { files, errors } = fixtureFilesOf(opts.fixtures);
  const ruleIds = new Set(rules.rules.map((r) => r.id));
  const loaded: LoadedCase[] = [];
  const fixtures: FixtureFile[] = [];
  const byRule = new Map<string, string>();
  for (const file of files) {
    let fixture: FixtureFile;
    try {
      fixture = parseFixture(readFileSync(file, 'utf8'), file);
    } catch (err) {
      if (err instanceof FixtureError) errors.push(...err.problems);
      else errors.push(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    if (!ruleIds.has(fixture.rule)) {
      errors.push(`${file}.rule: no rule ${fixture.rule} in ${opts.rulesFile}`);
      continue;
    }
    if (byRule.has(fixture.rule)) {
      errors.push(`${file}.rule: ${fixture.rule} is already tested by ${byRule.get(fixture.rule)}`);
      continue;
    }
    byRule.set(fixture.rule, file);
    fixtures.push(fixture);
    for (const c of fixture.cases) {
      try {
        loaded.push({ fixture, c, events: expandCase(fixture, c) });
      } catch (err) {
        if (err instanceof FixtureEventError) errors.push(...err.problems);
        else throw err;
      }
    }
  }
  if (errors.length) return { ...emptyReport(opts.rulesFile, errors), rules: rules.rules.length };

  const cases = loaded.map((l) => runCase(rules, l, opts.engine ?? {}));
  const coverage = coverageOf(rules, fixtures);
  const summary = {
    passed: cases.filter((c) => c.status === 'pass').length,
    failed: cases.filter((c) => c.status === 'fail').length,
    skipped: cases.filter((c) => c.status === 'skip').length,
    uncovered: new Set(coverage.map((c) => c.rule)).size,
  };
  const failed = summary.failed > 0 || (!opts.allowMissing && coverage.length > 0);
  return {
    rulesFile: opts.rulesFile,
    rules: rules.rules.length,
    exitCode: failed ? ExitCode.FAILED : ExitCode.PASS,
    errors: [],
    cases,
    coverage,
    summary,
  };
}

/** Enabled rules without a fixture file, or without a "fires" or a "near-miss" case. */
export function coverageOf(
  rules: RuleSet,
  fixtures: FixtureFile[],
): Array<{ rule: string; problem: string }> {
  const out: Array<{ rule: string; problem: string }> = [];
  for (const r of rules.rules.filter((x) => x.enabled)) {
    const f = fixtures.find((x) => x.rule === r.id);
    if (!f) {
      out.push({ rule: r.id, problem: `no fixture file (rules/fixtures/${r.id}.json)` });
      continue;
    }
    for (const kind of CASE_KINDS)
      if (!f.cases.some((c) => c.kind === kind))
        out.push({ rule: r.id, problem: `no "${kind}" case in ${f.file}` });
  }
  return out;
}

/** A case alone through the topology; its rule's firing alerts (as published) against `expect`. */
export function runCase(rules: RuleSet, l: LoadedCase, engine: RulesCheckOptions['engine']): CaseResult {
  const { fixture, c, events } = l;
  const result: CaseResult = {
    file: fixture.file,
    rule: fixture.rule,
    case: c.name,
    kind: c.kind,
    status: 'pass',
    problems: [],
    events: events.length,
    firings: [],
    otherFirings: {},
    responses: [],
  };
  const rule = rules.rules.find((r) => r.id === fixture.rule)!;
  if (!rule.enabled)
    return { ...result, status: 'skip', problems: ['the rule is disabled in this rules file'] };
  const envelopes = events.map((e) => e.event);
  const last = Math.max(...envelopes.map((e) => Date.parse(e.occurredAt)));
  const longest = Math.max(...rules.rules.map((r) => r.window.seconds)) * 1000;
  const lateness = engine?.allowedLatenessMs ?? 30_000;
  let alerts: EngineAlert[];
  try {
    alerts = runPartitioned(rules, envelopes, {
      ...engine,
      partitions: CHECK_PARTITIONS,
      stepSeconds: CHECK_STEP_SECONDS,
      keyOf: eventKey,
      wire: true,
      endAt: last + longest + lateness + 60_000,
    });
  } catch (err) {
    // The monitor itself could not carry the case (a stage's record refused by its own decoder).
    return { ...result, status: 'fail', problems: [`the run failed: ${(err as Error).message}`] };
  }
  for (const a of alerts) {
    const published = publish(a);
    if ('problem' in published) {
      result.problems.push(published.problem);
      continue;
    }
    const attrs = published.event.attributes;
    if (attrs.status !== 'firing') continue;
    if (attrs.ruleId === rule.id) {
      result.firings.push({ key: attrs.key.value, count: attrs.count, at: published.event.occurredAt });
      if (published.response) result.responses.push(published.response);
    } else result.otherFirings[attrs.ruleId] = (result.otherFirings[attrs.ruleId] ?? 0) + 1;
  }
  result.problems.push(...compare(c, result.firings));
  if (result.problems.length) result.status = 'fail';
  return result;
}

/** The SECURITY_ALERT the publisher would publish for a transition, validated by the contracts both ways. */
function publish(
  a: EngineAlert,
): { event: EventOf<'SECURITY_ALERT'>; response?: string } | { problem: string } {
  let event: EventOf<'SECURITY_ALERT'>;
  const response = responseOutcomeOf(a, false);
  try {
    event = toAlertEvent(a, response.note);
    // A live response: the SECURITY_ACTION it would publish (signed by the service) must be valid too.
    if (response.mode === 'published') toActionEvent(a, response.plan);
  } catch (err) {
    return {
      problem: `the ${a.status} alert of ${a.ruleId} is not a valid SECURITY_ALERT: ${(err as Error).message}`,
    };
  }
  const decoded = decodeEvent(encodeEvent(event));
  if (!decoded.ok)
    return {
      problem: `the ${a.status} alert of ${a.ruleId} is refused by the decoder (${decoded.reason}): ${decoded.detail}`,
    };
  return {
    event: decoded.event as EventOf<'SECURITY_ALERT'>,
    ...(response.note ? { response: response.note } : {}),
  };
}

const show = (f: { key: string; count?: number }) =>
  f.count === undefined ? f.key : `${f.key} count ${f.count}`;
const list = (fs: Array<{ key: string; count?: number }>) => (fs.length ? fs.map(show).join(', ') : 'none');

/** What differs between the expected and the actual firing alerts (empty: they agree). */
export function compare(c: FixtureCase, firings: FiringSeen[]): string[] {
  const expected = c.expect;
  if (expected.length !== firings.length)
    return [
      `expected ${expected.length} firing alert(s) [${list(expected)}], got ${firings.length} [${list(firings)}]`,
    ];
  const out: string[] = [];
  expected.forEach((x, i) => {
    const got = firings[i];
    if (x.key !== got.key) out.push(`firing #${i + 1}: expected key ${x.key}, got ${got.key}`);
    else if (x.count !== undefined && x.count !== got.count)
      out.push(`firing #${i + 1} (${x.key}): expected count ${x.count}, got ${got.count}`);
  });
  return out;
}

/** The human form: one line per case, the uncovered rules, a summary. */
export function formatReport(r: RulesCheckReport): string {
  if (r.errors.length)
    return [
      `rules check: bad input, nothing ran (${r.errors.length} problem(s)):`,
      ...r.errors.map((e) => `  ${e}`),
    ].join('\n');
  const lines = r.cases.map((c) => {
    const acts = c.responses.length ? ` ${[...new Set(c.responses)].join(' ')}` : '';
    const head = `${c.status.toUpperCase().padEnd(4)}  ${c.rule}  "${c.case}" (${c.kind})${acts}`;
    return c.problems.length ? `${head}: ${c.problems.join('; ')}` : head;
  });
  for (const u of r.coverage) lines.push(`MISSING  ${u.rule}: ${u.problem}`);
  const s = r.summary;
  lines.push(
    `${r.cases.length} case(s) over ${r.rules} rule(s) of ${r.rulesFile}: ${s.passed} passed, ${s.failed} failed, ` +
      `${s.skipped} skipped; ${s.uncovered} rule(s) without a fires and a near-miss case` +
      (s.uncovered && r.exitCode === ExitCode.PASS ? ' (allowed)' : ''),
  );
  return lines.join('\n');
}
