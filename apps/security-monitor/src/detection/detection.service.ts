import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import type { EventEnvelope } from '@vigil/contracts';
import { EventProducer, type ConsumedEvent, type HandlerContext } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { DetectionEngine, type EngineAlert, type EngineSnapshot } from '../engine/detection-engine';
import { RuleStore } from '../rules/rule-store';
import { planAction, toActionEvent, toAlertEvent } from './alert-events';
import { monitorMetrics } from './detection.metrics';
import { SnapshotRepository } from './snapshot.repository';

/** An event stamped further ahead than this is a broken clock: it would drag the watermark forward and resolve everything. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/**
 * One engine step per consumed chunk: evaluate, publish the alert transitions (and responses),
 * then save the engine's state with the input offsets it covers. Only then does the consumer
 * commit. A step that fails puts the engine back to the last saved state, so the redelivered
 * chunk is evaluated exactly once into the state; events at or below the saved offsets (a crash
 * between saving and committing) are skipped.
 *
 * One engine per instance, fed by every partition this instance holds (partitions are handled
 * one at a time): per-IP and global rules need all of an IP's events in one place, and
 * auth.events.v1 is keyed by user. Run one instance per consumer group until the IP repartition
 * topic exists (apps/security-monitor/README.md, "Scaling").
 */
@Injectable()
export class DetectionService {
  private engine: DetectionEngine;
  private offsets: Record<string, string> = {};
  private saved?: { offsets: Record<string, string>; stateJson: string };
  private loaded?: Promise<void>;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly rules: RuleStore,
    private readonly snapshots: SnapshotRepository,
    private readonly producer: EventProducer,
  ) {
    this.engine = this.newEngine();
    rules.onChange((set) => this.engine.setRules(set));
    const m = monitorMetrics();
    m.keysInState.addCallback((obs) => {
      for (const [rule, n] of Object.entries(this.engine.keysByRule())) obs.observe(n, { rule });
    });
    m.activeAlerts.addCallback((obs) => obs.observe(this.engine.stats().activeAlerts));
  }

  get groupId(): string {
    return this.config.kafkaGroupId;
  }

  stats() {
    return { ...this.engine.stats(), offsets: { ...this.offsets }, rulesVersion: this.rules.current.version };
  }

  async handle(events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    await (this.loaded ??= this.restore());
    const covered = this.offsets[String(ctx.partition)];
    const fresh = covered === undefined ? events : events.filter((e) => BigInt(e.offset) > BigInt(covered));
    const m = monitorMetrics();
    if (fresh.length < events.length) m.skippedReplayed.add(events.length - fresh.length);
    if (fresh.length === 0) return;
    try {
      const alerts = this.evaluate(fresh.map((e) => e.event));
      this.offsets[String(ctx.partition)] = fresh[fresh.length - 1].offset;
      await this.publish(alerts);
      const stateJson = JSON.stringify(this.engine.snapshot());
      await this.snapshots.save(this.groupId, this.config.inputTopic, this.offsets, this.rules.current.version, stateJson);
      this.saved = { offsets: { ...this.offsets }, stateJson };
    } catch (err) {
      this.rollback();
      throw err;
    }
  }

  private evaluate(events: EventEnvelope[]): EngineAlert[] {
    const m = monitorMetrics();
    const before = this.engine.stats().lateDropped;
    const horizon = Date.now() + MAX_FUTURE_SKEW_MS;
    const out: EngineAlert[] = [];
    let future = 0;
    for (const e of events) {
      if (Date.parse(e.occurredAt) > horizon) {
        future++;
        continue;
      }
      out.push(...this.engine.process(e));
    }
    const late = this.engine.stats().lateDropped - before;
    m.events.add(events.length - late - future);
    if (late) m.lateDropped.add(late, { reason: 'beyond_lateness' });
    if (future) m.lateDropped.add(future, { reason: 'future_clock' });
    return out;
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
        actionEvents.push(toActionEvent(a, plan));
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

  /** Loads the saved state once, before the first chunk (after migrations ran). */
  private async restore(): Promise<void> {
    const stored = await this.snapshots.load(this.groupId, this.config.inputTopic);
    if (!stored) return;
    this.engine.restore(stored.state);
    this.offsets = { ...stored.offsets };
    this.saved = { offsets: { ...stored.offsets }, stateJson: JSON.stringify(stored.state) };
    this.logger.info('detection state restored', { offsets: stored.offsets, rulesVersion: stored.rulesVersion, ...this.engine.stats() });
  }

  private rollback(): void {
    this.engine = this.newEngine();
    this.offsets = {};
    if (this.saved) {
      this.engine.restore(JSON.parse(this.saved.stateJson) as EngineSnapshot);
      this.offsets = { ...this.saved.offsets };
    }
  }

  private newEngine(): DetectionEngine {
    return new DetectionEngine(this.rules.current, {
      allowedLatenessMs: this.config.allowedLatenessSeconds * 1000,
      updateIntervalMs: this.config.updateIntervalSeconds * 1000,
      maxKeysPerRule: this.config.maxKeysPerRule,
      allowlist: { ips: this.config.allowlistIps, users: this.config.allowlistUsers },
    });
  }
}
