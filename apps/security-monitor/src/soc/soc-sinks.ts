import { appendFile } from 'node:fs/promises';
import type { Logger } from 'winston';
import type { EventProducer } from '@vigil/kafka';
import { socMetrics } from './soc.metrics';

/*
 * Where the SOC formats go (MONITOR_SINKS): topics for SIEM connectors, NDJSON files for agents
 * that tail files (Filebeat, Fluent Bit, the Splunk forwarder). Each sink has its own bounded
 * queue and worker: a failing sink retries with capped exponential backoff and never holds up the
 * alerts topic or another sink; beyond MONITOR_SINK_QUEUE_MAX the oldest records are dropped and
 * counted (the alert itself stays on security.alerts.v1, and `monitor:alerts --format` re-derives it).
 */

export type SinkFormat = 'ocsf' | 'ecs';

export interface SinkSpec {
  /** As configured: `ocsf-topic`, `ecs-file:/var/log/vigil/ecs.ndjson` ... */
  name: string;
  format: SinkFormat;
  kind: 'topic' | 'file';
  /** The file path (file sinks). */
  path?: string;
}

/** Parses MONITOR_SINKS items (already pattern-checked by the config). @throws naming a duplicate. */
export function parseSinks(items: readonly string[]): SinkSpec[] {
  const out: SinkSpec[] = [];
  for (const item of items) {
    const m = /^(ocsf|ecs)-(topic|file)(?::(.+))?$/.exec(item);
    if (!m || (m[2] === 'file') !== (m[3] !== undefined))
      throw new Error(
        `MONITOR_SINKS: ${item} is not ocsf-topic, ecs-topic, ocsf-file:<path> or ecs-file:<path>`,
      );
    if (out.some((s) => s.name === item)) throw new Error(`MONITOR_SINKS: ${item} is listed twice`);
    out.push({
      name: item,
      format: m[1] as SinkFormat,
      kind: m[2] as 'topic' | 'file',
      ...(m[3] ? { path: m[3] } : {}),
    });
  }
  return out;
}

/** One record in a SOC format: the JSON text, the alert it belongs to (the topic key) and the source event id. */
export interface SocRecord {
  alertId: string;
  eventId: string;
  body: string;
}

/** A record as EventProducer.send takes it. */
export type OutgoingRecord = Parameters<EventProducer['send']>[1][number];

export interface SinkWriter {
  write(records: SocRecord[]): Promise<void>;
}

export function topicWriter(
  send: (topic: string, messages: OutgoingRecord[]) => Promise<unknown>,
  topic: string,
  format: SinkFormat,
): SinkWriter {
  return {
    write: async (records) => {
      await send(
        topic,
        records.map((r) => ({
          key: r.alertId,
          value: r.body,
          headers: {
            'content-type': 'application/json',
            'vigil-format': format,
            'vigil-event-id': r.eventId,
          },
        })),
      );
    },
  };
}

/** Appends NDJSON (one record a line); opened per write, so a log rotator's rename is followed. */
export function fileWriter(path: string): SinkWriter {
  return {
    write: (records) => appendFile(path, records.map((r) => `${r.body}\n`).join(''), { mode: 0o640 }),
  };
}

export interface SinkRunnerOptions {
  queueMax: number;
  batchMax?: number;
  backoffMs?: number;
  backoffMaxMs?: number;
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface SinkStatus {
  sink: string;
  queued: number;
  dropped: number;
  /** Set while writes fail: since when (ISO) and the last error. */
  failing?: { since: string; error: string; failures: number };
}

/** One sink's bounded queue and its worker. */
export class SinkRunner {
  private queue: SocRecord[] = [];
  private running?: Promise<void>;
  private stopped = false;
  private dropped = 0;
  private failing?: { since: string; error: string; failures: number };
  private wake?: () => void;

  constructor(
    readonly spec: SinkSpec,
    private readonly writer: SinkWriter,
    private readonly opts: SinkRunnerOptions,
  ) {}

  get status(): SinkStatus {
    return {
      sink: this.spec.name,
      queued: this.queue.length,
      dropped: this.dropped,
      ...(this.failing ? { failing: { ...this.failing } } : {}),
    };
  }

  /** Queues records; returns at once. Beyond the bound the oldest are dropped (counted). */
  offer(records: SocRecord[]): void {
    if (this.stopped || records.length === 0) return;
    this.queue.push(...records);
    this.enforceBound();
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  /** Writes what is queued until it is empty or `deadlineMs` passes; what is left is dropped (counted). */
  async stop(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.queue.length && Date.now() < until && this.running) {
      this.wake?.();
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 50))]);
    }
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.queue.length) {
      socMetrics().sinkRecords.add(this.queue.length, { sink: this.spec.name, outcome: 'dropped' });
      this.opts.logger.error('SOC sink stopped with records unwritten', {
        sink: this.spec.name,
        records: this.queue.length,
      });
      this.dropped += this.queue.length;
      this.queue = [];
    }
  }

  private enforceBound(): void {
    const over = this.queue.length - this.opts.queueMax;
    if (over <= 0) return;
    this.queue.splice(0, over);
    this.dropped += over;
    socMetrics().sinkRecords.add(over, { sink: this.spec.name, outcome: 'dropped' });
    this.opts.logger.warn('SOC sink queue full: oldest records dropped', {
      sink: this.spec.name,
      dropped: over,
    });
  }

  private async run(): Promise<void> {
    const cap = this.opts.backoffMaxMs ?? 30_000;
    let backoff = this.opts.backoffMs ?? 200;
    while (this.queue.length && !this.stopped) {
      const batch = this.queue.splice(0, this.opts.batchMax ?? 500);
      try {
        await this.writer.write(batch);
        socMetrics().sinkRecords.add(batch.length, { sink: this.spec.name, outcome: 'written' });
        if (this.failing)
          this.opts.logger.info('SOC sink recovered', {
            sink: this.spec.name,
            failures: this.failing.failures,
          });
        this.failing = undefined;
        backoff = this.opts.backoffMs ?? 200;
      } catch (err) {
        this.queue.unshift(...batch);
        this.enforceBound();
        const error = (err as Error).message ?? String(err);
        socMetrics().sinkFailures.add(1, { sink: this.spec.name });
        this.failing = {
          since: this.failing?.since ?? new Date().toISOString(),
          error,
          failures: (this.failing?.failures ?? 0) + 1,
        };
        this.opts.logger.warn('SOC sink write failed; retrying', {
          sink: this.spec.name,
          records: batch.length,
          retryInMs: Math.round(backoff),
          err: error,
        });
        await this.pause(backoff * (0.5 + Math.random() * 0.5));
        backoff = Math.min(cap, backoff * 2);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.opts.sleep) return this.opts.sleep(ms);
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
