import { Inject, Injectable, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'winston';
import {
  EventProducer,
  partitionCount,
  type ConsumedEvent,
  type HandlerContext,
  type KafkaClient,
} from '@vigil/kafka';
import { ConsumerRegistry, KAFKA, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { AlertPublisher } from '../alerts/alert-publisher';
import type { SecurityMonitorConfig } from '../config';
import { monitorMetrics } from '../monitor.metrics';
import { RuleStore } from '../rules/rule-store';
import { engineOptionsOf } from './engine-options';
import { PartitionStateRepository } from './partition-state.repository';
import { StageProcessor } from './stage-processor';
import { GlobalStage } from './stages/global-stage';
import { IpStage } from './stages/ip-stage';
import { TOPOLOGY_STAGES, type DetectionStage, type TopologyStage } from './stages/stage';
import { UserStage } from './stages/user-stage';

export type { TopologyStage } from './stages/stage';

/** A consumer whose last fetch answered longer ago than this cannot hear its input (KafkaJS waits at most 5 s for data). */
const FETCH_ANSWERED_WITHIN_MS = 6000;

/** The name each stage's consumer is registered under (DetectionConsumer). */
export const consumerName = (stage: TopologyStage) => `monitor-${stage}`;

/**
 * The detection topology of one instance (stages/stage.ts): the user stage on the input topic,
 * the IP stage on the repartition topic, the global stage on the partials topic, each in its own
 * consumer group and with state per partition, so instances can be added to share the work and
 * still raise the alerts one instance would. Alerts and responses go out through the AlertPublisher.
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
    producer: EventProducer,
    @Inject(KAFKA) kafka: KafkaClient,
    private readonly consumers: ConsumerRegistry,
    alerts: AlertPublisher,
  ) {
    let inputPartitions: Promise<number> | undefined;
    const sourcePartitions = () =>
      (inputPartitions ??= partitionCount(kafka, config.inputTopic).catch(
        (err: unknown) => ((inputPartitions = undefined), Promise.reject(err)),
      ));
    const engineOptions = engineOptionsOf(config);
    const idleMs = config.idleSeconds * 1000;
    const modules: Record<TopologyStage, DetectionStage> = {
      user: new UserStage(rules.current, producer, {
        repartition: config.repartitionTopic,
        partials: config.partialsTopic,
      }),
      ip: new IpStage(sourcePartitions, idleMs),
      global: new GlobalStage(sourcePartitions, idleMs),
    };
    const processor = (s: TopologyStage) =>
      new StageProcessor({
        stage: modules[s],
        groupId: this.groupOf(s),
        topic: this.topicOf(s),
        rules: () => rules.current,
        engineOptions,
        repository,
        alerts,
        logger,
        idleMs,
        saveIntervalMs: config.stateSaveMs,
      });
    this.stages = { user: processor('user'), ip: processor('ip'), global: processor('global') };
    rules.onChange((set) => Object.values(this.stages).forEach((s) => s.setRules(set)));
    const m = monitorMetrics();
    m.keysInState.addCallback((obs) => {
      for (const [name, s] of Object.entries(this.stages)) {
        const byRule: Record<string, number> = {};
        for (const e of s.engines())
          for (const [rule, n] of Object.entries(e.keysByRule())) byRule[rule] = (byRule[rule] ?? 0) + n;
        for (const [rule, n] of Object.entries(byRule)) obs.observe(n, { rule, stage: name });
      }
    });
    m.activeAlerts.addCallback((obs) =>
      obs.observe(this.allEngines().reduce((n, e) => n + e.stats().activeAlerts, 0)),
    );
    this.idleTimer = setInterval(
      () => void this.tick(),
      Math.max(200, Math.min(1000, config.stateSaveMs || 1000)),
    );
    this.idleTimer.unref();
  }

  /** Consumers have stopped by now (before shutdown) and the database is still open: what is in memory is saved. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.idleTimer);
    await this.flush().catch((err) =>
      this.logger.warn('final state save failed; the next owner replays from the last one', { err }),
    );
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
    for (const s of Object.values(this.stages))
      await s
        .flush({ dueOnly: true })
        .catch((err) => this.logger.warn('periodic state save failed', { stage: s.stage, err }));
  }

  groupOf(stage: TopologyStage): string {
    return stage === 'user' ? this.config.kafkaGroupId : `${this.config.kafkaGroupId}.${stage}`;
  }

  topicOf(stage: TopologyStage): string {
    return stage === 'user'
      ? this.config.inputTopic
      : stage === 'ip'
        ? this.config.repartitionTopic
        : this.config.partialsTopic;
  }

  handle(stage: TopologyStage, events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    return this.stages[stage].handle(events, ctx);
  }

  /** The group gave this member these partitions of the stage's topic. */
  assigned(stage: TopologyStage, partitions: number[]): void {
    this.stages[stage].assigned(partitions);
  }

  stats() {
    const sum = (k: 'events' | 'lateDropped' | 'keys' | 'activeAlerts') =>
      this.allEngines().reduce((n, e) => n + e.stats()[k], 0);
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
    for (const name of TOPOLOGY_STAGES) {
      const s = this.stages[name];
      // A fetch answers at least every 5 s when the input is quiet (KafkaJS's maxWaitTime): none for
      // longer means we cannot hear the input (StageProcessor.tickIdle counts no silence then).
      const quiet = (p: number) =>
        this.consumers.inputQuiet(consumerName(name), this.topicOf(name), p, FETCH_ANSWERED_WITHIN_MS);
      await s
        .tickIdle(now, quiet)
        .catch((err) => this.logger.warn('idle tick failed', { stage: s.stage, err }));
    }
  }

  private allEngines() {
    return Object.values(this.stages).flatMap((s) => s.engines());
  }
}
