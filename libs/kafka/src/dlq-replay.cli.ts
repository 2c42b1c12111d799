/**
 * `npm run dlq:replay -- --topic <name>.dlq [--reason R]... [--since T] [--dry-run] [--json]`:
 * republishes the records of a DLQ to their original topic with their original key, headers and
 * timestamp, addressed to the consumer group that failed them (other groups skip them). Safe to run
 * twice: the writer deduplicates by event id, and every consumer skips a replayed event id it has
 * seen. The DLQ is left as it is. T is an ISO time or an age (30m, 2h, 7d) against `dlq-failed-at`.
 *
 * Reads KAFKA_BROKERS [127.0.0.1:9092]. Exit 0, 1 if some records had no original topic, 2 on a
 * usage or connection error.
 */
import { env, loadConfig } from '@vigil/config';
import { createKafka } from './client';
import { replayDlq, type ReplayProgress } from './dlq-replay';
import { EventProducer } from './producer';

const schema = { kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }) };

class UsageError extends Error {}

interface Args {
  topic: string;
  reasons: string[];
  since?: Date;
  dryRun: boolean;
  json: boolean;
}

export function parseSince(v: string, now = Date.now()): Date {
  const age = /^(\d+)(s|m|h|d)$/.exec(v);
  if (age)
    return new Date(
      now - Number(age[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[age[2] as 's' | 'm' | 'h' | 'd'],
    );
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`--since takes an ISO time or an age like 30m, 2h, 7d; got ${v}`);
  return new Date(t);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { topic: '', reasons: [], dryRun: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${argv[i - 1]} needs a value`);
      return v;
    };
    if (argv[i] === '--topic') a.topic = next();
    else if (argv[i] === '--reason') a.reasons.push(...next().split(','));
    else if (argv[i] === '--since') a.since = parseSince(next());
    else if (argv[i] === '--dry-run') a.dryRun = true;
    else if (argv[i] === '--json') a.json = true;
    else throw new UsageError(`unknown argument ${argv[i]}`);
  }
  if (!a.topic) throw new UsageError('--topic <name>.dlq is required');
  return a;
}

function summary(p: ReplayProgress, dryRun: boolean): string {
  const verb = dryRun ? 'would replay' : 'replayed';
  const reasons =
    Object.entries(p.byReason)
      .map(([r, n]) => `${r}=${n}`)
      .join(', ') || 'none';
  const topics =
    Object.entries(p.byTopic)
      .map(([t, n]) => `${t}=${n}`)
      .join(', ') || 'none';
  return `read ${p.read}/${p.total}; ${verb} ${p.replayed} (by reason: ${reasons}; to: ${topics}); filtered out ${p.filtered}; without an original topic ${p.noOrigin}`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig(schema);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: 'vigil-dlq-replay', retries: 3 });
  const producer = args.dryRun ? undefined : new EventProducer(kafka);
  await producer?.connect();
  let lastPrint = 0;
  try {
    const result = await replayDlq(kafka, producer, {
      dlq: args.topic,
      reasons: args.reasons,
      since: args.since,
      dryRun: args.dryRun,
      onProgress: (p) => {
        if (args.json || Date.now() - lastPrint < 1000) return;
        lastPrint = Date.now();
        process.stderr.write(
          `  ${p.read}/${p.total} read, ${p.replayed} ${args.dryRun ? 'to replay' : 'replayed'}\n`,
        );
      },
    });
    console.log(
      args.json
        ? JSON.stringify({ topic: args.topic, dryRun: args.dryRun, ...result })
        : `${args.topic}: ${summary(result, args.dryRun)}`,
    );
    return result.noOrigin > 0 ? 1 : 0;
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(
        err instanceof UsageError
          ? `usage: ${err.message}`
          : `dlq replay could not run: ${err instanceof Error ? err.message : String(err)}`,
      );
      process.exit(2);
    },
  );
}
