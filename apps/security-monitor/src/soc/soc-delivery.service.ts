import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Logger } from 'winston';
import {
  EventType,
  toEcsAlert,
  toOcsfDetectionFinding,
  type AlertEventEnvelope,
  type EventOf,
  type SocContext,
} from '@vigil/contracts';
import { EventProducer, type KafkaClient } from '@vigil/kafka';
import {
  ConsumerRegistry,
  HealthRegistry,
  KAFKA,
  LOGGER,
  SERVICE_CONFIG,
  type CheckResult,
} from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { RuleStore } from '../rules/rule-store';
import { socContextOf } from './soc-context';
import {
  fileWriter,
  parseSinks,
  SinkRunner,
  topicWriter,
  type OutgoingRecord,
  type SinkSpec,
} from './soc-sinks';
import { socMetrics } from './soc.metrics';
import { webhookDeadLetterRecord } from './webhook-dead-letter';
import { WebhookDispatcher, type DeadLetter } from './webhook-dispatcher';

/** The monitor's own alerts come from the AlertPublisher; others on the alerts topic are read back. */
const OWN_PRODUCER = 'security-monitor';

/** How long shutdown waits for the sinks to drain and the webhook's requests in flight. */
const STOP_GRACE_MS = 5000;

/**
 * SOC delivery beside security.alerts.v1 (README "SOC delivery"): the alert transitions the
 * AlertPublisher has just published are handed here (offer: returns at once) and go out as
 * OCSF / ECS to the configured sinks and, when severe enough, to the escalation webhook. Its own
 * producer, queues and workers: nothing here can hold up or fail the alerts topic or detection.
 */
@Injectable()
export class SocDelivery implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  readonly ctx: SocContext;
  private readonly sinks: SinkRunner[];
  private readonly webhook?: WebhookDispatcher;
  private readonly producer?: EventProducer;
  private connecting?: Promise<void>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) kafka: KafkaClient,
    rules: RuleStore,
    private readonly health: HealthRegistry,
    private readonly consumers: ConsumerRegistry,
  ) {
    this.ctx = socContextOf(() => rules.current, config.release);
    const specs = parseSinks(config.sinks);
    const needsProducer = specs.some((s) => s.kind === 'topic') || Boolean(config.webhookUrl);
    if (needsProducer) this.producer = new EventProducer(kafka, { logger });
    const send = (topic: string, messages: OutgoingRecord[]) => this.send(topic, messages);
    this.sinks = specs.map(
      (spec) =>
        new SinkRunner(
          spec,
          spec.kind === 'file' ? fileWriter(spec.path!) : topicWriter(send, this.topicOf(spec), spec.format),
          { queueMax: config.sinkQueueMax, logger },
        ),
    );
    if (config.webhookUrl && config.webhookSecret)
      this.webhook = new WebhookDispatcher({
        url: config.webhookUrl,
        secret: config.webhookSecret,
        format: config.webhookFormat,
        minSeverity: config.webhookMinSeverity,
        statuses: config.webhookStatuses,
        maxAttempts: config.webhookMaxAttempts,
        maxElapsedMs: config.webhookMaxElapsedSeconds * 1000,
        backoffMs: config.webhookBackoffMs,
        backoffMaxMs: config.webhookBackoffMaxMs,
        timeoutMs: config.webhookTimeoutMs,
        queueMax: config.webhookQueueMax,
        concurrency: config.webhookConcurrency,
        ctx: this.ctx,
        logger,
        deadLetter: (d) => this.deadLetter(d),
      });
    const m = socMetrics();
    m.sinkQueue.addCallback((r) => {
      for (const s of this.sinks) r.observe(s.status.queued, { sink: s.spec.name });
    });
    m.webhookQueue.addCallback((r) => {
      if (!this.webhook) return;
      const st = this.webhook.status;
      r.observe(st.queued, { state: 'queued' });
      r.observe(st.inFlight, { state: 'in_flight' });
    });
  }

  /** Whether anything is configured (the publisher skips the work otherwise). */
  get enabled(): boolean {
    return this.sinks.length > 0 || this.webhook !== undefined;
  }

  /**
   * Other services' alerts on the alerts topic (the audit-writer's chain regression, SEV-1) go out
   * too: a consumer in its own group reads the topic from where it stands (not its history) and
   * hands over every SECURITY_ALERT the monitor did not publish itself.
   */
  onModuleInit(): void {
    if (!this.enabled) return;
    this.consumers.add({
      name: 'soc-other-alerts',
      groupId: `${this.config.kafkaGroupId}.soc`,
      topics: [this.config.alertsTopic],
      fromBeginning: false,
      handler: async (events) => {
        const others = events
          .map((c) => c.event)
          .filter((e) => e.type === EventType.SECURITY_ALERT && e.producer !== OWN_PRODUCER);
        if (others.length) this.offer(others as Array<EventOf<'SECURITY_ALERT'>>);
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.health.register('soc-delivery', () => this.check());
    this.logger.info('SOC delivery enabled', {
      sinks: this.sinks.map((s) => s.spec.name),
      webhook: this.webhook
        ? {
            format: this.config.webhookFormat,
            minSeverity: this.config.webhookMinSeverity,
            statuses: this.config.webhookStatuses,
          }
        : false,
    });
  }

  /** Hands over alert events just published on the alerts topic. Never throws, never waits. */
  offer(events: ReadonlyArray<EventOf<'SECURITY_ALERT'>>): void {
    if (!this.enabled || events.length === 0) return;
    const alerts = events as unknown as AlertEventEnvelope[];
    for (const sink of this.sinks) {
      try {
        sink.offer(
          alerts.map((e) => ({
            alertId: e.attributes.alertId,
            eventId: e.id,
            body: JSON.stringify(
              sink.spec.format === 'ocsf' ? toOcsfDetectionFinding(e, this.ctx) : toEcsAlert(e, this.ctx),
            ),
          })),
        );
      } catch (err) {
        this.logger.error('SOC sink could not format alerts', {
          sink: sink.spec.name,
          err: (err as Error).message,
        });
      }
    }
    this.webhook?.offer(alerts);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.stop(STOP_GRACE_MS)));
    await this.webhook?.stop(STOP_GRACE_MS);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private check(): CheckResult {
    const problems: string[] = [];
    for (const s of this.sinks) {
      const st = s.status;
      if (st.failing)
        problems.push(
          `${st.sink} failing since ${st.failing.since} (${st.failing.failures} failures: ${st.failing.error}), ${st.queued} queued`,
        );
      else if (st.queued >= this.config.sinkQueueMax) problems.push(`${st.sink} queue full`);
    }
    if (this.webhook) {
      const w = this.webhook.status;
      if (w.consecutiveFailures > 0)
        problems.push(
          `webhook: ${w.consecutiveFailures} consecutive failed attempts (last: ${w.lastOutcome?.outcome ?? 'retrying'})`,
        );
      if (w.queued >= this.config.webhookQueueMax) problems.push('webhook queue full');
      if (w.recentDeadLetters > 0)
        problems.push(
          `webhook: ${w.recentDeadLetters} escalation(s) dead-lettered in the last 15 min (last: ${w.lastOutcome?.outcome}) on ${this.config.webhookDlqTopic}`,
        );
    }
    const detail = [
      ...this.sinks.map((s) => `${s.spec.name}: ${s.status.queued} queued, ${s.status.dropped} dropped`),
      ...(this.webhook
        ? [`webhook: ${this.webhook.status.queued} queued, ${this.webhook.status.inFlight} in flight`]
        : []),
    ].join('; ');
    return problems.length ? { ok: true, degraded: true, detail: problems.join('; ') } : { ok: true, detail };
  }

  private topicOf(spec: SinkSpec): string {
    return spec.format === 'ocsf' ? this.config.ocsfTopic : this.config.ecsTopic;
  }

  private async send(topic: string, messages: OutgoingRecord[]): Promise<void> {
    const producer = this.producer!;
    if (!producer.isConnected)
      await (this.connecting ??= producer.connect().finally(() => (this.connecting = undefined)));
    await producer.send(topic, messages);
  }

  /** Publishes the DLQ record (webhook-dead-letter.ts), retrying: a dead letter is never dropped quietly. */
  private async deadLetter(d: DeadLetter): Promise<void> {
    const message = webhookDeadLetterRecord(d, this.config.alertsTopic);
    let backoff = 200;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(this.config.webhookDlqTopic, [message]);
        socMetrics().webhookDeadLetters.add(1, { outcome: 'published' });
        return;
      } catch (err) {
        if (attempt >= 5) {
          socMetrics().webhookDeadLetters.add(1, { outcome: 'failed' });
          throw err;
        }
        await new Promise((r) => setTimeout(r, backoff));
        backoff *= 2;
      }
    }
  }
}
