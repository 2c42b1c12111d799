/**
 * `npm run monitor:replay -- --from <offset|p:offset,...|ISO time|earliest> [--to <...>] [--rules FILE]
 *   [--out FILE] [--topic T] [--end-clock now|none|ISO] [--publish --publish-topic T [--yes-live]] [--quiet]`
 *
 * Runs the detection rules over a stored range of the input topic (MONITOR_INPUT_TOPIC) through the
 * live topology's engines, in a throwaway consumer group and in-memory state of its own, and writes
 * the alert transitions it would raise (SECURITY_ALERT events, one JSON per line) to --out or
 * stdout; progress and a summary go to stderr. Exit 0; 2 on a usage or configuration error (bad
 * position, unknown topic, a rules file with problems); 1 when the broker cannot be reached (after
 * retries with backoff) or fails mid-way. Reads the monitor's variables (README "Configuration").
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { ConfigError, env, loadConfig } from '@vigil/config';
import { Topics, type EventOf } from '@vigil/contracts';
import { createKafka, EventProducer } from '@vigil/kafka';
import { schema } from '../config';
import { engineOptionsOf } from '../detection/engine-options';
import { type RuleSet } from '../engine/rule-definition';
import { parseRuleSet, RulesFileError } from '../engine/rule-validation';
import { formatSummary, runReplay, type ReplaySummary } from './replay';
import { parsePosition, UsageError, type Position } from './replay-range';

const replaySchema = {
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  kafkaGroupId: env.string('KAFKA_GROUP_ID', { default: 'vigil-monitor' }),
  rulesFile: schema.rulesFile,
  allowedLatenessSeconds: schema.allowedLatenessSeconds,
  updateIntervalSeconds: schema.updateIntervalSeconds,
  dryRun: schema.dryRun,
  allowlistIps: schema.allowlistIps,
  allowlistUsers: schema.allowlistUsers,
  maxKeysPerRule: schema.maxKeysPerRule,
  batchMax: schema.batchMax,
  inputTopic: schema.inputTopic,
  alertsTopic: schema.alertsTopic,
  actionsTopic: schema.actionsTopic,
  repartitionTopic: schema.repartitionTopic,
};

export interface ReplayArgs {
  from: Position;
  to?: Position;
  rules?: string;
  out?: string;
  topic?: string;
  endClock?: 'now' | 'none' | number;
  publish: boolean;
  publishTopic?: string;
  yesLive: boolean;
  quiet: boolean;
  connectAttempts?: number;
  help?: boolean;
}

export const USAGE = `usage: npm run monitor:replay -- --from <position> [--to <position>] [--rules FILE] [--out FILE]
         [--topic T] [--end-clock now|none|<ISO time>] [--publish --publish-topic T [--yes-live]] [--quiet]
         [--connect-attempts n]
  position: an offset for every partition (120), one per partition (0:120,1:98), an ISO time
            (2026-01-05T10:00:00Z: the first record at or after it), earliest, or end (--to only)
  --to        where to stop, exclusive (default: the end offsets when the replay starts)
  --rules     the rules file to run (default RULES_FILE)
  --out       write the alert events (JSON lines) here instead of stdout
  --topic     the input topic (default MONITOR_INPUT_TOPIC, auth.events.v1)
  --end-clock after the range, move every clock here as the live idle clock does (default: now
              when the range runs to the end of the topic, none with --to)
  --publish   also publish the alert events to --publish-topic (security.alerts.v1 refused
              unless --yes-live; actions are never published)
  --connect-attempts  Kafka connection attempts, with backoff from 0.5 s, before exit 1 (default 6)
Exit 0; 2 usage or configuration error; 1 Kafka unreachable or the replay failed.`;

/** Parses the command line. @throws UsageError */
export function parseReplayArgs(argv: string[]): ReplayArgs {
  const args: Partial<ReplayArgs> & { publish: boolean; yesLive: boolean; quiet: boolean } = {
    publish: false,
    yesLive: false,
    quiet: false,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--from':
        args.from = parsePosition(flag, value(i++, flag));
        if (args.from.kind === 'end')
          throw new UsageError('--from end replays nothing: give an offset or a time');
        break;
      case '--to':
        args.to = parsePosition(flag, value(i++, flag));
        break;
      case '--rules':
        args.rules = value(i++, flag);
        break;
      case '--out':
        args.out = value(i++, flag);
        break;
      case '--topic':
        args.topic = topicName(flag, value(i++, flag));
        break;
      case '--publish-topic':
        args.publishTopic = topicName(flag, value(i++, flag));
        break;
      case '--end-clock': {
        const v = value(i++, flag);
        if (v === 'now' || v === 'none') args.endClock = v;
        else {
          const p = parsePosition(flag, v);
          if (p.kind !== 'time') throw new UsageError(`--end-clock ${v}: expected now, none or an ISO time`);
          args.endClock = p.at;
        }
        break;
      }
      case '--connect-attempts': {
        const v = value(i++, flag);
        if (!/^\d{1,2}$/.test(v) || Number(v) < 1) throw new UsageError(`--connect-attempts ${v}: 1 to 99`);
        args.connectAttempts = Number(v);
        break;
      }
      case '--publish':
        args.publish = true;
        break;
      case '--yes-live':
        args.yesLive = true;
        break;
      case '--quiet':
        args.quiet = true;
        break;
      case '-h':
      case '--help':
        return { ...args, from: { kind: 'earliest' }, help: true };
      default:
        throw new UsageError(`unknown option ${JSON.stringify(flag)}\n${USAGE}`);
    }
  }
  if (!args.from) throw new UsageError(`--from is required\n${USAGE}`);
  if (args.publish && !args.publishTopic)
    throw new UsageError('--publish needs --publish-topic T (the topic is never implied)');
  if (args.publishTopic && !args.publish) throw new UsageError('--publish-topic is only used with --publish');
  if (args.yesLive && !args.publish) throw new UsageError('--yes-live is only used with --publish');
  return args as ReplayArgs;
}

function topicName(flag: string, v: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(v))
    throw new UsageError(`${flag} ${JSON.stringify(v)}: not a topic name`);
  return v;
}

/** Reads and validates a rules file. @throws UsageError naming every problem. */
export function loadRules(file: string): RuleSet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `rules file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    return parseRuleSet(text);
  } catch (err) {
    if (err instanceof RulesFileError)
      throw new UsageError(`rules file ${file} refused:\n${err.problems.map((p) => `  ${p}`).join('\n')}`);
    throw err;
  }
}

export interface CliIo {
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The whole command; returns the exit code (0, 1 broker/runtime failure, 2 usage or configuration). */
export async function replayMain(io: CliIo): Promise<{ code: number; summary?: ReplaySummary }> {
  const err = (line: string) => io.stderr.write(`${line}\n`);
  let args: ReplayArgs;
  let config: ReturnType<typeof loadConfig<typeof replaySchema>>;
  let rules: RuleSet;
  try {
    args = parseReplayArgs(io.argv);
    if (args.help) {
      io.stdout.write(`${USAGE}\n`);
      return { code: 0 };
    }
    config = loadConfig(replaySchema, io.env);
    rules = loadRules(args.rules ?? config.rulesFile);
    if (args.publishTopic) refuseLive(args, config);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      err(`monitor:replay: ${e.message}`);
      return { code: 2 };
    }
    throw e;
  }
  const topic = args.topic ?? config.inputTopic;
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-monitor-replay', retries: 2 });
  let out: WriteStream | undefined;
  let producer: EventProducer | undefined;
  // Ctrl-C: the replay stops, its consumer leaves and its throwaway group is deleted.
  const stop = new AbortController();
  const interrupt = () => {
    err('monitor:replay: interrupted; stopping');
    stop.abort();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    if (args.out) {
      out = createWriteStream(args.out, { flags: 'w', mode: 0o640 });
      await new Promise<void>((resolve, reject) => out!.once('open', () => resolve()).once('error', reject));
    }
    const sink: NodeJS.WritableStream = out ?? io.stdout;
    if (args.publish) {
      producer = new EventProducer(kafka);
      await producer.connect();
    }
    const summary = await runReplay(kafka, {
      signal: stop.signal,
      topic,
      from: args.from,
      to: args.to,
      rules,
      engine: engineOptionsOf(config),
      batchMax: config.batchMax,
      dryRunAll: config.dryRun,
      liveGroupId: config.kafkaGroupId,
      endClock: args.endClock,
      repartitionTopic: config.repartitionTopic,
      requireTopics: args.publishTopic ? [args.publishTopic] : [],
      connectAttempts: args.connectAttempts,
      onRetry: (attempt, e, waitMs) =>
        err(
          `monitor:replay: Kafka not reachable (attempt ${attempt}: ${e.message}); retrying in ${waitMs} ms`,
        ),
      emit: async (events: Array<EventOf<'SECURITY_ALERT'>>) => {
        const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
        if (!sink.write(text)) await new Promise((r) => sink.once('drain', r));
        if (producer && args.publishTopic) await producer.publish(args.publishTopic, events);
      },
      progress: args.quiet
        ? undefined
        : (p) =>
            err(
              `monitor:replay: ${p.read}/${p.total} records (${p.total ? Math.floor((100 * p.read) / p.total) : 100}%), ${Math.round(p.read / Math.max(0.001, p.elapsedMs / 1000))} records/s`,
            ),
    });
    if (out)
      await new Promise<void>((resolve, reject) =>
        out!.end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
    err(formatSummary(summary));
    if (args.out) err(`alert events written to ${args.out}`);
    if (args.publishTopic) err(`alert events published to ${args.publishTopic}`);
    return { code: 0, summary };
  } catch (e) {
    if (e instanceof UsageError) {
      err(`monitor:replay: ${e.message}`);
      return { code: 2 };
    }
    err(`monitor:replay failed: ${(e as Error).message}`);
    return { code: 1 };
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    out?.destroy();
    await producer?.disconnect().catch(() => undefined);
  }
}

/** A replay publishes only where it is told, and never to the live alerts topic by accident or to actions. */
function refuseLive(
  args: ReplayArgs,
  config: { alertsTopic: string; actionsTopic: string; inputTopic: string },
): void {
  const t = args.publishTopic!;
  if ([config.actionsTopic, Topics.SECURITY_ACTIONS].includes(t))
    throw new UsageError(`--publish-topic ${t}: a replay never publishes actions`);
  if ([args.topic ?? config.inputTopic, Topics.AUTH_EVENTS].includes(t))
    throw new UsageError(`--publish-topic ${t}: that is an input topic`);
  if ([config.alertsTopic, Topics.SECURITY_ALERTS].includes(t) && !args.yesLive)
    throw new UsageError(
      `--publish-topic ${t} is the live alerts topic: SOC tools and the audit store would take the replay's alerts for live ones; add --yes-live if that is what you want`,
    );
}

if (require.main === module) {
  replayMain({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
  }).then(
    ({ code }) => process.exit(code),
    (e) => {
      process.stderr.write(`monitor:replay failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
