/**
 * Composes bench/results/REPORT.md (issue 18 item 4) from every bench/results/<name>.json the
 * benches wrote (bench/figures.ts): the machine, the load average at each bench's start, and each
 * figure beside the ceiling measured in the same run, its ratio, target, verdict, what limits it
 * and what would close it. The engine bench (bench/security-monitor.bench.ts) writes only its .md:
 * its figures are read from there unless a security-monitor.json exists.
 *
 *   node -r ./tools/ts-register.js bench/report.ts     (npm run bench runs it at the end)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult, Figure, Machine } from './figures';

const RESULTS = path.join(__dirname, 'results');

/** Issue 18 item 4's targets, in its order: each row of the report, and the bench that measures it. */
const TARGETS: Array<{ id: string; bench: string; target: string }> = [
  { id: 'audit-writer.vs-copy', bench: 'audit-writer', target: 'audit-writer ≥ 0.5× COPY' },
  { id: 'monitor.engine', bench: 'security-monitor', target: 'monitor engine ≥ 200,000 events/s, one core' },
  {
    id: 'monitor.e2e-vs-raw',
    bench: 'security-monitor-e2e',
    target: 'monitor end to end ≥ 0.3× raw consume',
  },
  { id: 'monitor.second-instance', bench: 'security-monitor-e2e', target: 'gain from a second monitor' },
  { id: 'gateway.login-saturation', bench: 'auth-gateway', target: 'logins ≥ 85% of raw Argon2id' },
  { id: 'gateway.login-p95-at-60pct', bench: 'auth-gateway', target: 'login p95 < 300 ms at 60%' },
  { id: 'gateway.refresh-p99-500', bench: 'auth-gateway', target: 'refresh p99 < 50 ms at 500/s' },
  { id: 'gateway.me-p99-500', bench: 'auth-gateway', target: '/me p99 < 50 ms at 500/s' },
  { id: 'monitor.detection-p99', bench: 'security-monitor-e2e', target: 'detection p99 < 250 ms at 5,000/s' },
  { id: 'checkpoint.coverage-p99', bench: 'checkpoint', target: 'checkpoint coverage ≤ 10 s at p99' },
  { id: 'retention.archive-vs-copy', bench: 'retention', target: 'archive ≥ 0.5× COPY TO' },
];

function readResults(): BenchResult[] {
  if (!existsSync(RESULTS)) return [];
  return readdirSync(RESULTS)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(RESULTS, f), 'utf8')) as BenchResult);
}

const num = (text: string) => Number(text.replace(/[,\s]/g, ''));

/** The engine bench's figures from its Markdown (that bench is not ours to change). */
export function engineFromMarkdown(md: string): BenchResult | undefined {
  const engine = /\| detection engine, all default rules \| \*\*([\d,]+) events\/s\*\* \| ([\d.]+) µs/.exec(
    md,
  );
  const ceiling = /\| ceiling: ([^|]+?) \| \*\*([\d,]+) events\/s\*\*/.exec(md);
  if (!engine || !ceiling) return undefined;
  const ranAt = /(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(md)?.[1] ?? '';
  const load = Number(/load average ([\d.]+) at the start/.exec(md)?.[1] ?? NaN);
  const machineLine = /, ([^,]+?),\s*\nNode (v[\d.]+)/.exec(md);
  const cores = Number(/(\d+) × /.exec(machineLine?.[1] ?? '')?.[1] ?? NaN);
  const rate = num(engine[1]);
  const ceil = num(ceiling[2]);
  const figure: Figure = {
    id: 'monitor.engine',
    what: `detection engine alone, all default rules, one thread (${engine[2]} µs per event; median of interleaved rounds)`,
    value: rate,
    unit: 'events/s',
    ceiling: ceil,
    ceilingWhat: ceiling[1].trim(),
    ratio: Math.round((rate / ceil) * 100) / 100,
    target: '≥ 200,000 events/s on one core',
    met: rate >= 200_000,
    limit:
      'per-event work of the 31 rules on one thread (key lookups, window updates, alert transitions); see bench/results/security-monitor.md',
    ...(rate >= 200_000
      ? {}
      : {
          close:
            'less work per event in the engine (being reworked separately; see security-monitor.md), or the rules spread over cores: the monitor scales out by partition',
        }),
  };
  return {
    bench: 'security-monitor',
    command: 'npm run bench security-monitor',
    ranAt,
    loadAverage: [load],
    loadAverageEnd: [],
    machine: {
      cpu: machineLine?.[1].replace(/^\d+ × /, '') ?? 'unknown',
      cores,
      memoryGiB: NaN,
      node: machineLine?.[2] ?? '',
    },
    figures: [figure],
    notes: ['figures parsed from bench/results/security-monitor.md (that bench writes no JSON)'],
  };
}

const fmt = (x: number | undefined, unit = ''): string => {
  if (x === undefined || Number.isNaN(x)) return '—';
  const s = Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : String(x);
  return unit ? `${s} ${unit}` : s;
};

const verdict = (f: Figure) => (f.met === null ? 'shown' : f.met ? '**met**' : '**not met**');

/** A run counts as under load when the 1-minute load at its start exceeds half the cores. */
const underLoad = (r: BenchResult) => (r.loadAverage[0] ?? 0) > (r.machine.cores || 2) / 2;

function machineSection(results: BenchResult[]): string {
  const here: Machine = {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
  const machines = new Map<string, string[]>();
  for (const r of results) {
    const key = `${r.machine.cores} × ${r.machine.cpu}, Node ${r.machine.node}`;
    machines.set(key, [...(machines.get(key) ?? []), r.bench]);
  }
  const lines = [
    `- CPU: ${here.cpu}, ${here.cores} cores; memory ${here.memoryGiB} GiB; Node ${here.node}; ${os.platform()} ${os.release()}.`,
    '- PostgreSQL and the Kafka broker (one KRaft node, SASL) run on the same machine, which is shared with other sessions.',
  ];
  if (machines.size > 1)
    lines.push(
      `- The results present come from more than one machine or Node: ${[...machines].map(([m, b]) => `${m} (${b.join(', ')})`).join('; ')}.`,
    );
  return lines.join('\n');
}

function loadSection(results: BenchResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.bench} | ${r.ranAt} | ${r.loadAverage.map((l) => l.toFixed(2)).join(' / ')} | ${r.loadAverageEnd.length ? r.loadAverageEnd.map((l) => l.toFixed(2)).join(' / ') : '—'} | ${underLoad(r) ? '**under load**' : 'quiet'} |`,
  );
  return [
    '| bench | ran at (UTC) | load average at start (1 / 5 / 15 min) | at end | |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function targetsSection(byId: Map<string, { f: Figure; r: BenchResult }>): string {
  const rows = TARGETS.map(({ id, bench, target }) => {
    const hit = byId.get(id);
    if (!hit) return `| ${target} | not measured (no ${bench} result) | | | | | |`;
    const { f, r } = hit;
    const ceiling =
      f.ceiling === undefined
        ? '—'
        : `${fmt(f.ceiling, f.ceilingUnit ?? f.unit)} (${f.ceilingWhat ?? 'same run'})`;
    const ratio = f.ratio === undefined ? '—' : `${f.ratio.toFixed(2)}×`;
    const load = `${r.bench}, load ${r.loadAverage[0]?.toFixed(2)}${underLoad(r) ? ' (under load)' : ''}`;
    return `| ${target} | **${fmt(f.value, f.unit)}** | ${ceiling} | ${ratio} | ${f.target} | ${verdict(f)} | ${load} |`;
  });
  return [
    '| target | figure | ceiling, same run | ratio | target as worded | verdict | run |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function detailSection(figures: Array<{ f: Figure; r: BenchResult }>): string {
  return figures
    .map(({ f, r }) => {
      const lines = [
        `### ${f.id}: ${verdict(f)}`,
        '',
        `- Measured: ${f.what} = **${fmt(f.value, f.unit)}**.`,
      ];
      if (f.ceiling !== undefined)
        lines.push(
          `- Ceiling in the same run: ${f.ceilingWhat ?? 'ceiling'} = ${fmt(f.ceiling, f.ceilingUnit ?? f.unit)}${f.ratio !== undefined ? `; ratio ${f.ratio.toFixed(2)}×` : ''}.`,
        );
      lines.push(`- Target: ${f.target}.`);
      if (f.limit) lines.push(`- What limits it: ${f.limit}.`);
      if (f.close) lines.push(`- What would close it: ${f.close}.`);
      lines.push(
        `- Run: \`${r.command}\` at ${r.ranAt}, load average ${r.loadAverage[0]?.toFixed(2)} at the start${underLoad(r) ? ` (**under load**: the 1-minute load average was above half the cores${f.ceiling !== undefined ? '; the ratio against the same-run ceiling is the figure to read' : ''})` : ''}.`,
      );
      return lines.join('\n');
    })
    .join('\n\n');
}

export function composeReport(results: BenchResult[]): string {
  const byId = new Map<string, { f: Figure; r: BenchResult }>();
  for (const r of results) for (const f of r.figures) byId.set(f.id, { f, r });
  const ordered = [
    ...TARGETS.map((t) => byId.get(t.id)).filter((x): x is { f: Figure; r: BenchResult } => !!x),
    ...[...byId.entries()].filter(([id]) => !TARGETS.some((t) => t.id === id)).map(([, x]) => x),
  ];
  const counted = ordered.filter(({ f }) => f.met !== null);
  const met = counted.filter(({ f }) => f.met).length;
  const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `- ${r.bench}: ${n}`));
  const loaded = results.filter(underLoad);
  const loadNote = loaded.length
    ? ` ${loaded.length} of ${results.length} results were measured **under load** (${loaded.map((r) => `${r.bench} ${r.loadAverage[0]?.toFixed(1)}`).join(', ')}): their verdicts are that run's, not a quiet machine's; a latency under load says little about the service, a ratio to its same-run ceiling a little more.`
    : '';
  return `# Benchmark report (issue 18 item 4)

Written by \`npm run bench\` (bench/run.sh runs every bench/*.bench.ts, then bench/report.ts) from the
JSON each bench writes beside its Markdown in bench/results/; composed ${new Date().toISOString()}.
Each figure is measured beside its ceiling in the same run, so a busy machine moves both; read the
ratio. ${met} of ${counted.length} targets with a verdict are met.${loadNote}

## Machine

${machineSection(results)}

## Load average at each bench's start

${loadSection(results)}

A run is marked **under load** when the 1-minute load average at its start exceeded half the cores:
other work on the machine, or the tail of the bench before it (each bench's own PostgreSQL and Kafka
work settles for a while after it ends); its absolute figures may be low, its ratios less so.

## Targets

${targetsSection(byId)}

## Each figure: what limits it, and what would close it

${detailSection(ordered)}
${notes.length ? `\n## Notes\n\n${notes.join('\n')}\n` : ''}`;
}

function main(): void {
  const results = readResults();
  if (!results.some((r) => r.bench === 'security-monitor')) {
    const mdPath = path.join(RESULTS, 'security-monitor.md');
    const engine = existsSync(mdPath) ? engineFromMarkdown(readFileSync(mdPath, 'utf8')) : undefined;
    if (engine) results.push(engine);
  }
  const out = path.join(RESULTS, 'REPORT.md');
  writeFileSync(out, composeReport(results));
  console.error(`[bench] wrote ${path.relative(process.cwd(), out)} from ${results.length} result(s)`);
}

if (require.main === module) main();
