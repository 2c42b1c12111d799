import type { Command } from 'commander';
import { DLQ_SUFFIX } from '@vigil/contracts';
import { EventProducer, replayDlq, type ReplayProgress } from '@vigil/kafka';
import { action } from '../../command';
import type { CliContext } from '../../context';
import { ExitCode, UsageError } from '../../errors';
import { table } from '../../output';
import { busError, kafkaFor } from './bus';
import { parseTime } from './time-range';

export interface DlqDepth {
  topic: string;
  originalTopic: string;
  partitions: number;
  /** Records held (high minus low watermark, summed over partitions). */
  records: number;
}

/**
 * Every DLQ (`<topic>.dlq`) with the records it holds, deepest first; `match` keeps the names that
 * contain it. `dlq list` prints them; `status` counts them (seed 000-49: "alert queues").
 */
export async function dlqDepths(ctx: CliContext, match?: string): Promise<DlqDepth[]> {
  const admin = kafkaFor(ctx, 'vigil-cli-dlq').admin();
  const rows: DlqDepth[] = [];
  try {
    await admin.connect();
    const topics = (await admin.listTopics())
      .filter((t) => t.endsWith(DLQ_SUFFIX) && (!match || t.includes(match)))
      .sort();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      rows.push({
        topic,
        originalTopic: topic.slice(0, -DLQ_SUFFIX.length),
        partitions: offsets.length,
        records: offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0),
      });
    }
  } catch (err) {
    busError(ctx, 'listing DLQs', err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  return rows.sort((a, b) => b.records - a.records || a.topic.localeCompare(b.topic));
}

export function replaySummary(topic: string, p: ReplayProgress, dryRun: boolean): string {
  const list = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, n]) => `${k}=${n}`)
      .join(', ') || 'none';
  return `${topic}: read ${p.read}/${p.total}; ${dryRun ? 'would replay' : 'replayed'} ${p.replayed} (by reason: ${list(p.byReason)}; to: ${list(p.byTopic)}); filtered out ${p.filtered}; without an original topic ${p.noOrigin}`;
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      'Dead-letter queues (<topic>.dlq): what is waiting in them, and replaying it into its topic (Kafka)',
    )
    .addHelpText(
      'after',
      `
Reads KAFKA_BROKERS [127.0.0.1:9092] and the KAFKA_SASL_MECHANISM / KAFKA_USERNAME /
KAFKA_PASSWORD[_FILE] / KAFKA_TLS* credentials (locally vigil-admin).`,
    );

  dlq
    .command('list')
    .alias('depth')
    .description('Every DLQ with its depth (records held), deepest first; --nonempty hides the empty ones')
    .option('--nonempty', 'only DLQs holding records')
    .option('--match <text>', 'only DLQs whose name contains this text (e.g. auth.events)')
    .action(
      action<[], { nonempty?: boolean; match?: string }>(async (ctx, o) => {
        let rows = await dlqDepths(ctx, o.match);
        if (o.nonempty) rows = rows.filter((r) => r.records > 0);
        ctx.print(
          { items: rows, total: rows.reduce((n, r) => n + r.records, 0) },
          (d) =>
            `${table(d.items.map((r) => ({ dlq: r.topic, records: r.records, partitions: r.partitions })))}\n${d.total} record(s) in ${d.items.length} DLQ(s)`,
        );
      }),
    );

  dlq
    .command('replay')
    .description(
      "Republish a DLQ's records to their original topic (original key, headers and timestamp), addressed to the consumer group that failed them; the DLQ is left as it is. Safe to run twice: consumers deduplicate by event id. Exit 1 when some records had no original topic",
    )
    .requiredOption('--topic <name>', 'the DLQ, <topic>.dlq (see vigil dlq list) (required)')
    .option('--reason <reason...>', 'only records that failed for these dlq-reason values')
    .option(
      '--since <when>',
      'only records that failed at or after this time (an age like 2h, or an ISO time)',
    )
    .option('--dry-run', 'count what would be replayed and send nothing')
    .addHelpText(
      'after',
      `
Examples:
  vigil dlq list --nonempty
  vigil dlq replay --topic auth.events.v1.dlq --dry-run
  vigil dlq replay --topic auth.events.v1.dlq --reason handler_failed --since 2h`,
    )
    .action(
      action<[], { topic: string; reason?: string[]; since?: string; dryRun?: boolean }>(async (ctx, o) => {
        if (!o.topic.endsWith(DLQ_SUFFIX))
          throw new UsageError(`--topic ${o.topic}: a DLQ, <topic>${DLQ_SUFFIX}`);
        const since = o.since ? new Date(parseTime('--since', o.since)) : undefined;
        const kafka = kafkaFor(ctx, 'vigil-cli-dlq-replay');
        const producer = o.dryRun ? undefined : new EventProducer(kafka);
        const bar = ctx.progress(`${o.dryRun ? 'reading' : 'replaying'} ${o.topic}`);
        let result: ReplayProgress | undefined;
        try {
          await producer?.connect();
          result = await replayDlq(kafka, producer, {
            dlq: o.topic,
            reasons: o.reason?.flatMap((r) => r.split(',')),
            since,
            dryRun: Boolean(o.dryRun),
            onProgress: (p) => bar.to(p.read),
          });
        } catch (err) {
          bar.finish(`${o.topic}: stopped`);
          busError(ctx, `replaying ${o.topic}`, err);
        } finally {
          await producer?.disconnect().catch(() => undefined);
        }
        const r = result!;
        bar.finish(`${o.topic}: ${r.read} record(s) read`);
        ctx.print({ topic: o.topic, dryRun: Boolean(o.dryRun), ...r }, (d) =>
          replaySummary(d.topic, d, d.dryRun),
        );
        return r.noOrigin > 0 ? ExitCode.failed : ExitCode.ok;
      }),
    );
}
