/**
 * Whether a runbook command exists as written: `vigil` commands against the CLI's own command
 * tree (subcommands, options, event types named by --action), `npm run` against package.json,
 * repository scripts against the tree, kubectl against the manifests' names, everything else
 * against a short list of the operator's standard tools.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { EventType } from '@vigil/contracts';
import { buildProgram } from '../../../apps/vigil-cli/src/program';
import type { CliIo } from '../../../apps/vigil-cli/src/output';

export const ROOT = path.resolve(__dirname, '../../..');

/** Shell keywords and POSIX utilities the runbooks use around the commands. */
const SHELL = new Set([
  'for',
  'in',
  'do',
  'done',
  'if',
  'then',
  'else',
  'fi',
  'while',
  'echo',
  'printf',
  'export',
  'cd',
  'set',
  'test',
  '[',
  'true',
  'false',
  'grep',
  'sed',
  'awk',
  'head',
  'tail',
  'sort',
  'uniq',
  'wc',
  'cat',
  'tee',
  'less',
  'cut',
  'tr',
  'xargs',
  'date',
  'sleep',
  'read',
  'ls',
  'cp',
  'mv',
  'mkdir',
  'sha256sum',
  'df',
  'du',
  'watch',
]);

/** The operator's tools outside this repository, and why a runbook may name them. */
export const EXTERNAL_TOOLS: Record<string, string> = {
  kubectl: 'the cluster CLI for the manifests in deploy/k8s (checked: namespace and deployment names)',
  curl: "the seeds' own API calls",
  jq: 'reading JSON output',
  psql: 'PostgreSQL client (isolating the database, seed 002-34)',
  pg_dump: 'PostgreSQL client (forensic snapshot, seed 002-35)',
  pg_restore: 'PostgreSQL client (restore, seed 002-37)',
  pg_isready: 'PostgreSQL client (is the server up)',
  'kafka-consumer-groups.sh': "Apache Kafka's own admin tools (bin/ of the Kafka distribution)",
  'kafka-topics.sh': "Apache Kafka's own admin tools (bin/ of the Kafka distribution)",
  amtool: "Alertmanager's CLI (installed by deploy/local/observability-tools.sh)",
  promtool: "Prometheus's CLI (installed by deploy/local/observability-tools.sh)",
  docker: 'compose users (docker-compose.yml)',
  node: 'one-liners reading JSON (node -pe)',
  openssl: 'certificate expiry checks',
};

const quietIo: CliIo = { stdout: () => undefined, stderr: () => undefined, interactive: false, env: {} };

/** The CLI's command tree, built once. */
export function cliTree(): Command {
  return buildProgram(quietIo).program;
}

const GLOBAL_OPTIONS = new Set(['--json', '--base-url', '--help', '-h']);

function optionNames(cmd: Command): Set<string> {
  const names = new Set<string>(GLOBAL_OPTIONS);
  for (const o of cmd.options) {
    if (o.long) names.add(o.long);
    if (o.short) names.add(o.short);
    if (o.negate && o.long) names.add(o.long);
  }
  return names;
}

/** The vigil command a word list names (after `vigil`), or a problem. */
export function resolveVigil(tree: Command, args: string[]): { path: string[]; problem?: string } {
  let cmd = tree;
  const used: string[] = [];
  let i = 0;
  // Global options may come first.
  while (i < args.length && args[i].startsWith('-')) i += args[i] === '--base-url' ? 2 : 1;
  while (cmd.commands.length > 0) {
    const word = args[i];
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) return { path: used, problem: `vigil ${[...used, word ?? ''].join(' ')}: no such command` };
    cmd = sub;
    used.push(sub.name());
    i++;
  }
  const options = optionNames(cmd);
  for (let j = i; j < args.length; j++) {
    const a = args[j];
    if (!a.startsWith('-') || a === '-') continue;
    const name = a.split('=')[0];
    if (!options.has(name)) return { path: used, problem: `vigil ${used.join(' ')}: no option ${name}` };
    if (name === '--action') {
      const list = (a.includes('=') ? a.split('=')[1] : args[j + 1]) ?? '';
      const bad = list.split(',').filter((t) => t && !t.startsWith('<') && !(t in EventType));
      if (bad.length)
        return {
          path: used,
          problem: `vigil ${used.join(' ')}: --action ${bad.join(',')} is not an event type`,
        };
    }
  }
  return { path: used };
}

const packageScripts = (): Record<string, string> =>
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
    .scripts;

/** Names of the Deployments in deploy/k8s/base, and the namespace the overlays use. */
function k8sNames(): { deployments: Set<string>; namespaces: Set<string> } {
  const deployments = new Set<string>();
  const namespaces = new Set<string>();
  const base = path.join(ROOT, 'deploy/k8s/base');
  const overlays = path.join(ROOT, 'deploy/k8s/overlays');
  if (existsSync(base)) {
    for (const app of readdirSync(base)) {
      if (existsSync(path.join(base, app, 'deployment.yaml'))) deployments.add(app);
    }
  }
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name === 'kustomization.yaml') {
        const m = readFileSync(full, 'utf8').match(/^namespace:\s*(\S+)/m);
        if (m) namespaces.add(m[1]);
      }
    }
  };
  walk(overlays);
  return { deployments, namespaces };
}

/** Undefined when the command exists as written; otherwise what is wrong. */
export function checkCommand(tree: Command, words: string[]): string | undefined {
  const [head, ...rest] = words;
  if (head === 'vigil' || head === 'bin/vigil' || head === './bin/vigil')
    return resolveVigil(tree, rest).problem;
  if (head === 'npm') {
    if (rest[0] === 'run' || rest[0] === 'run-script') {
      const script = rest[1];
      if (!script || !(script in packageScripts()))
        return `npm run ${script}: no such script in package.json`;
      if (script === 'vigil') return resolveVigil(tree, rest.slice(rest[2] === '--' ? 3 : 2)).problem;
      return undefined;
    }
    return ['test', 'start', 'audit', 'ci', 'install'].includes(rest[0])
      ? undefined
      : `npm ${rest[0]}: not a known npm command here`;
  }
  if (head === 'bash' || head === 'sh') {
    const script = rest.find((w) => !w.startsWith('-'));
    return script && existsSync(path.join(ROOT, script)) ? undefined : `${head} ${script}: no such file`;
  }
  if (head.startsWith('./') || head.startsWith('deploy/') || head.startsWith('tools/')) {
    return existsSync(path.join(ROOT, head)) ? undefined : `${head}: no such file`;
  }
  if (head === 'kubectl') {
    const { deployments, namespaces } = k8sNames();
    const ns = rest[rest.indexOf('-n') + 1];
    if (rest.includes('-n') && !ns.startsWith('<') && !namespaces.has(ns))
      return `kubectl -n ${ns}: the manifests use namespace ${[...namespaces].join(', ')}`;
    for (const w of rest) {
      const m = w.match(/^deployment\/(.+)$/);
      if (m && !m[1].startsWith('<') && !deployments.has(m[1]))
        return `kubectl: no Deployment ${m[1]} in deploy/k8s (${[...deployments].join(', ')})`;
    }
    return undefined;
  }
  if (head === 'node' && rest[0] && !rest[0].startsWith('-')) {
    return existsSync(path.join(ROOT, rest[0])) ? undefined : `node ${rest[0]}: no such file`;
  }
  if (SHELL.has(head) || head in EXTERNAL_TOOLS) return undefined;
  return `${head}: not a command of this repository nor a listed operator tool`;
}
