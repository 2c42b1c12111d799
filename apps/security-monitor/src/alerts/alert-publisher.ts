import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'winston';
import { EventProducer } from '@vigil/kafka';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import type { EngineAlert } from '../engine/detection-engine';
import { monitorMetrics } from '../monitor.metrics';
import { SocDelivery } from '../soc/soc-delivery.service';
import { ActionSigner } from './action-signer';
import { responseOutcomeOf, toActionEvent, toAlertEvent } from './alert-events';

/**
 * Publishes alert transitions on the alerts topic and, for a firing alert whose rule has a response
 * (not dry-run), the signed SECURITY_ACTION on the actions topic; dry-run and skipped responses
 * are noted in the alert's summary. Stages call it before saving the state that produced them.
 * Once on the alerts topic, the transitions are handed to SOC delivery (src/soc: OCSF, ECS, webhook).
 */
@Injectable()
export class AlertPublisher {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly producer: EventProducer,
    private readonly signer: ActionSigner,
    private readonly soc: SocDelivery,
  ) {}

  async publish(alerts: EngineAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const m = monitorMetrics();
    const alertEvents = [];
    const actionEvents = [];
    for (const a of alerts) {
      const response = responseOutcomeOf(a, this.config.dryRun);
      if (response.mode === 'published') actionEvents.push(this.signer.sign(toActionEvent(a, response.plan)));
      if (response.mode) m.actions.add(1, { action: response.action, mode: response.mode });
      alertEvents.push(toAlertEvent(a, response.note));
    }
    await this.producer.publish(this.config.alertsTopic, alertEvents);
    // OCSF / ECS sinks and the escalation webhook: queued, never awaited (a slow SIEM never slows detection).
    this.soc.offer(alertEvents);
    if (actionEvents.length) await this.producer.publish(this.config.actionsTopic, actionEvents);
    const now = Date.now();
    for (const a of alerts) {
      m.alerts.add(1, { rule: a.ruleId, severity: a.severity, status: a.status });
      if (a.status !== 'resolved')
        m.detectionLatency.record(Math.max(0, now - a.at) / 1000, { rule: a.ruleId });
      this.logger.info('security alert', {
        alertId: a.alertId,
        rule: a.ruleId,
        status: a.status,
        severity: a.severity,
        key: a.key.kind,
        count: a.count,
      });
    }
  }
}
