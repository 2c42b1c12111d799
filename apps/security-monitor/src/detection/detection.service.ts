import { Inject, Injectable, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'winston';
import { DecodeFailureReason, type AnyEvent, type DecodeResult } from '@vigil/contracts';
import { EventProducer, partitionCount, type ConsumedEvent, type HandlerContext, type KafkaClient as Kafka } from '@vigil/kafka';
import { ConsumerRegistry, KAFKA, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import type { EngineAlert, EngineOptions, EngineStage } from '../engine/detection-engine';
import { RuleStore } from '../rules/rule-store';
import { planAction, toActionEvent, toAlertEvent } from './alert-events';
import { ActionSigner } from './action-signer';
import { monitorMetrics } from './detection.metrics';
import { PartitionStateRepository } from './partition-state.repository';
import { StageProcessor, type PartialRecord } from './stage-processor';

export type TopologyStage = Exclude<EngineStage, 'all'>;

/** A consumer whose last fetch answered longer ago than this cannot hear its input (KafkaJS waits at most 5 s for data). */
const FETCH_ANSWERED_WITHIN_MS = 6000;

/** The name each stage's consumer is registered under (DetectionModule). */
export const consumerName = (stage: TopologyStage) => `monitor-${stage}`;

/**
 * The detection topology of one instance (engine/stages.ts): the user stage on the input topic,
 * the IP stage on the repartition topic, the global stage on the partials topic, each in its own
 * consumer group and with state per partition, so instances can be added to share the work and
 * still raise the alerts one instance would. Alerts and responses are published here.
 */
@Injectable()
export class DetectionService implements OnModuleDestroy, OnApplicationShutdown {
  readonly stages: Record<TopologyStage, StageProcessor>;
  private readonly idleTimer: NodeJS.Timeout;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly rules: RuleStore,
    repository: PartitionStateRepository,
    private readonly producer: EventProducer,
    @Inject(KAFKA) kafka: Kafka,
    private readonly consumers: ConsumerRegistry,
    private readonly signer: ActionSigner,
  ) {
    let inputPartitions: Promise<number> | undefined;
    const sourcePartitions = () => (inputPartitions ??= partitionCount(kafka, config.inputTopic).catch((err: unknown) => ((inputPartitions = undefined), Promise.reject(err))));
    const engineOptions: EngineOptions = {
      allowedLatenessMs: config.allowedLatenessSeconds * 1000,
      updateIntervalMs: config.updateIntervalSeconds * 1000,
      maxKeysPerRule: config.maxKeysPerRule,
      allowlist: { ips: config.allowlistIps, users: config.allowlistUsers },
    };
    const stage = (s: TopologyStage) =>
      new StageProcessor({
        stage: s,
        groupId: this.groupOf(s),
        topic: this.topicOf(s),
        rules: () => rules.current,
        engineOptions,
        repository,
        producer,
        logger,
        publishAlerts: (alerts) => this.publish(alerts),
        repartitionTopic: config.repartitionTopic,
        partialsTopic: config.partialsTopic,
        idleMs: config.idleSeconds * 1000,
        saveIntervalMs: config.stateSaveMs,
        ...(s === 'user' ? {} : { sourcePartitions }),
      });
    this.stages = { user: stage('user'), ip: stage('ip'), global: stage('global') };
    rules.onChange((set) => Object.values(this.stages).forEach((s) => s.setRules(set)));
    const m = monitorMetrics();
    m.keysInState.addCallback((obs) => {
      for (const [name, s] of Object.entries(this.stages)) {
        const byRule: Record<string, number> = {};
        for (const e of s.engines()) for (const [rule, n] of Object.entries(e.keysByRule())) byRule[rule] = (byRule[rule] ?? 0) + n;
        for (const [rule, n] of Object.entries(byRule)) obs.observe(n, { rule, stage: name });
      }
    });
    m.activeAlerts.addCallback((obs) => obs.observe(this.allEngines().reduce((n, e) => n + e.stats().activeAlerts, 0)));
    this.idleTimer = setInterval(() => void this.tick(), Math.max(200, Math.min(1000, config.stateSaveMs || 1000)));
    this.idleTimer.unref();
  }

  /** Consumers have stopped by now (before shutdown) and the database is still open: what is in memory is saved. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.idleTimer);
    await this.flush().catch((err) => this.logger.warn('final state save failed; the next owner replays from the last one', { err }));
  }

  onModuleDestroy(): void {
    clearInterval(this.idleTimer);
  }

  /** Saves every stage partition's unsaved state now (shutdown; operators and tests). */
  async flush(): Promise<void> {
    for (const s of Object.values(this.stages)) await s.flush();
  }

  private async tick(): Promise<void> {
    await this.tickIdle();
    for (const s of Object.values(this.stages)) await s.flush({ dueOnly: true }).catch((err) => this.logger.warn('periodic state save failed', { stage: s.stage, err }));
  }

  groupOf(stage: TopologyStage): string {
    return stage === 'user' ? this.config.kafkaGroupId : `${this.config.kafkaGroupId}.${stage}`;
  }

  topicOf(stage: TopologyStage): string {
    return stage === 'user' ? this.config.inputTopic : stage === 'ip' ? this.config.repartitionTopic : this.config.partialsTopic;
  }

  handle(stage: TopologyStage, events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    return this.stages[stage].handle(events, ctx);
  }

  stats() {
    const sum = (k: 'events' | 'lateDropped' | 'keys' | 'activeAlerts') => this.allEngines().reduce((n, e) => n + e.stats()[k], 0);
    return {
      events: sum('events'),
      lateDropped: sum('lateDropped'),
      keys: sum('keys'),
      activeAlerts: sum('activeAlerts'),
      partitions: Object.fromEntries(Object.entries(this.stages).map(([k, s]) => [k, s.heldPartitions()])),
      rulesVersion: this.rules.current.version,
    };
  }

  async tickIdle(now = Date.now()): Promise<void> {
    for (const [name, s] of Object.entries(this.stages) as Array<[TopologyStage, StageProcessor]>) {
      // A fetch answers at least every 5 s when the input is quiet (KafkaJS's maxWaitTime): none for
      // longer means we cannot hear the input (StageProcessor.tickIdle counts no silence then).
      const quiet = (p: number) => this.consumers.inputQuiet(consumerName(name), this.topicOf(name), p, FETCH_ANSWERED_WITHIN_MS);
      await s.tickIdle(now, quiet).catch((err) => this.logger.warn('idle tick failed', { stage: s.stage, err }));
    }
  }

  private allEngines() {
    return Object.values(this.stages).flatMap((s) => s.engines());
  }

  private async publish(alerts: EngineAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const m = monitorMetrics();
    const alertEvents = [];
    const actionEvents = [];
    for (const a of alerts) {
      const plan = a.status === 'firing' ? planAction(a) : undefined;
      let note: string | undefined;
      if (plan && 'skipped' in plan) {
        note = `[response ${a.response!.action} skipped: ${plan.skipped}]`;
        m.actions.add(1, { action: a.response!.action, mode: 'skipped' });
      } else if (plan && (a.response!.dryRun || this.config.dryRun)) {
        note = `[dry-run: would ${plan.action} ${plan.target} for ${plan.ttlSeconds}s]`;
        m.actions.add(1, { action: plan.action, mode: 'dry_run' });
      } else if (plan) {
        note = `[response: ${plan.action} ${plan.target} for ${plan.ttlSeconds}s]`;
        actionEvents.push(this.signer.sign(toActionEvent(a, plan)));
        m.actions.add(1, { action: plan.action, mode: 'published' });
      }
      alertEvents.push(toAlertEvent(a, note));
    }
    await this.producer.publish(this.config.alertsTopic, alertEvents);
    if (actionEvents.length) await this.producer.publish(this.config.actionsTopic, actionEvents);
    const now = Date.now();
    for (const a of alerts) {
      m.alerts.add(1, { rule: a.ruleId, severity: a.severity, status: a.status });
      if (a.status !== 'resolved') m.detectionLatency.record(Math.max(0, now - a.at) / 1000, { rule: a.ruleId });
      this.logger.info('security alert', { alertId: a.alertId, rule: a.ruleId, status: a.status, severity: a.severity, key: a.key.kind, count: a.count });
    }
  }
}

/** Decodes a partials-topic record (the global stage's input); anything else goes to its DLQ. */
export function decodePartialRecord(value: Buffer | null): DecodeResult {
  if (!value || value.length === 0) return { ok: false, reason: DecodeFailureReason.EMPTY, detail: 'empty record' };
  let r: PartialRecord;
  try {
    r = JSON.parse(value.toString('utf8')) as PartialRecord;
  } catch {
    return { ok: false, reason: DecodeFailureReason.INVALID_JSON, detail: 'not JSON' };
  }
  const ok =
    typeof r === 'object' && r !== null && r.v === 1 && Number.isInteger(r.source) && r.source >= 0 && Array.isArray(r.rules) &&
    (r.maxT === null || Number.isFinite(r.maxT)) &&
    r.rules.every((x) => typeof x?.id === 'string' && Number.isInteger(x.version) && Array.isArray(x.buckets) && Array.isArray(x.samples) && Array.isArray(x.values) && Number.isFinite(x.tmax));
  if (!ok) return { ok: false, reason: DecodeFailureReason.SCHEMA_VIOLATION, detail: 'not a partial-counts record (v, source, maxT, rules[])' };
  return { ok: true, event: r as unknown as AnyEvent };
}
