import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { action } from '../../command';
import { appScriptCommand } from './app-script';
import { repoRoot } from '../../config';
import type { CliContext } from '../../context';
import { CliError, ExitCode, UnavailableError } from '../../errors';

/** The monitor's replay entry (app-script.ts). */
export const replayCommand = (root: string, env: Record<string, string | undefined>): { args: string[] } =>
  appScriptCommand(root, env, 'apps/security-monitor/src/replay/replay.cli');

interface ReplayOptions {
  from: string;
  to?: string;
  rules?: string;
  out?: string;
  topic?: string;
  endClock?: string;
  publish?: boolean;
  publishTopic?: string;
  yesLive?: boolean;
  quiet?: boolean;
  connectAttempts?: string;
}

/** The replay's command line from the options; paths are the operator's, resolved from here. */
export function replayArgs(o: ReplayOptions): string[] {
  const args = ['--from', o.from];
  if (o.to !== undefined) args.push('--to', o.to);
  if (o.rules !== undefined) args.push('--rules', resolve(o.rules));
  if (o.out !== undefined) args.push('--out', resolve(o.out));
  if (o.topic !== undefined) args.push('--topic', o.topic);
  if (o.endClock !== undefined) args.push('--end-clock', o.endClock);
  if (o.publish) args.push('--publish');
  if (o.publishTopic !== undefined) args.push('--publish-topic', o.publishTopic);
  if (o.yesLive) args.push('--yes-live');
  if (o.quiet) args.push('--quiet');
  if (o.connectAttempts !== undefined) args.push('--connect-attempts', o.connectAttempts);
  return args;
}

/** `vigil alerts replay`: the monitor's replay (npm run monitor:replay), run beside this CLI. */
export function registerAlertsReplay(alerts: Command): void {
  alerts
    .command('replay')
    .description(
      "Rerun the detection rules over a stored range of auth.events.v1 (to test a changed rules file on last week's events, or reproduce an alert) and print the alert transitions they would raise, one SECURITY_ALERT JSON per line; progress and a summary on stderr. Its own throwaway consumer group and in-memory state: never the live group, state or topics (unless --publish). Runs the monitor's replay (npm run monitor:replay); exit 0 done, 1 failed, 2 usage or configuration, 3 Kafka unreachable",
    )
    .requiredOption(
      '--from <position>',
      'where to start: an offset for every partition (120), one per partition (0:120,1:98), an ISO time (the first record at or after it), or earliest',
    )
    .option('--to <position>', 'where to stop, exclusive (same forms, or end); default the end offsets now')
    .option('--rules <file>', 'the rules file to run [RULES_FILE, the shipped default rules]')
    .option('--out <file>', 'write the alert events (JSON lines) here instead of stdout')
    .option('--topic <topic>', 'the input topic [MONITOR_INPUT_TOPIC, auth.events.v1]')
    .option(
      '--end-clock <when>',
      'after the range, move every clock here as the live idle clock does: now, none or an ISO time (default now to the end of the topic, none with --to)',
    )
    .option('--publish', 'also publish the alert events to --publish-topic (never actions)')
    .option('--publish-topic <topic>', 'the topic --publish writes to (it must exist)')
    .option('--yes-live', 'allow --publish-topic to be the live alerts topic')
    .option('--quiet', 'no progress lines')
    .option('--connect-attempts <n>', 'Kafka connection attempts (backoff from 0.5 s) before giving up [6]')
    .addHelpText(
      'after',
      `
Reads KAFKA_BROKERS and the KAFKA_* credentials, and the monitor's variables: RULES_FILE,
MONITOR_INPUT_TOPIC, MONITOR_REPARTITION_TOPIC, MONITOR_ALERTS_TOPIC, MONITOR_ALLOWED_LATENESS_SECONDS,
MONITOR_UPDATE_INTERVAL_SECONDS, MONITOR_DRY_RUN, MONITOR_BATCH_MAX, KAFKA_GROUP_ID (the live group,
never joined). Guarantees and limits: apps/security-monitor/README.md, "Replay".`,
    )
    .action(action<[], ReplayOptions>(async (ctx, o) => runReplay(ctx, replayArgs(o))));
}

async function runReplay(ctx: CliContext, args: string[]): Promise<number> {
  const root = repoRoot();
  if (!root) throw new CliError('the monitor replay is not installed beside this CLI', ExitCode.failed);
  const { args: node } = replayCommand(root, ctx.io.env);
  // The replay needs the bus and the rules; never the admin's credentials.
  const env: Record<string, string | undefined> = { ...ctx.io.env };
  for (const k of Object.keys(env)) if (k.startsWith('VIGIL_ADMIN_')) delete env[k];
  if (env.VIGIL_ALERTS_TOPIC && !env.MONITOR_ALERTS_TOPIC) env.MONITOR_ALERTS_TOPIC = env.VIGIL_ALERTS_TOPIC;
  if (env.RULES_FILE) env.RULES_FILE = resolve(env.RULES_FILE);
  const child = spawn(process.execPath, [...node, ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const relay = (stream: NodeJS.ReadableStream, to: (text: string) => void, keep: boolean) => {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      if (keep) stderr += d;
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) to(l);
    });
    return () => {
      if (buf) to(buf);
    };
  };
  const flushOut = relay(child.stdout!, (t) => ctx.io.stdout(t), false);
  const flushErr = relay(child.stderr!, (t) => ctx.io.stderr(t), true);
  const code = await new Promise<number | null>((res, reject) => {
    child.once('error', reject);
    child.once('close', (c) => res(c));
  });
  flushOut();
  flushErr();
  if (code === 0) return ExitCode.ok;
  if (code === 2) return ExitCode.usage; // its message is above
  if (/Kafka unreachable|is the broker reachable/.test(stderr))
    throw new UnavailableError('Kafka could not be reached: see the replay’s message above');
  if (code === 1) return ExitCode.failed;
  throw new UnavailableError(`the monitor replay could not run (exit ${code}): see its message above`);
}
