import type { Command } from 'commander';
import { registerAlerts } from './alerts.command';
import { registerAudit } from './audit.command';
import { registerDb } from './db.command';
import { registerDlq } from './dlq.command';
import { registerEvidence } from './evidence.command';
import { registerIncident } from './incident.command';
import { registerRetention } from './retention.command';

/**
 * Commands over the audit data and its pipeline: db, audit, alerts, dlq, retention, incident,
 * evidence.
 */
export function registerDataCommands(program: Command): void {
  registerDb(program);
  registerAudit(program);
  registerAlerts(program);
  registerDlq(program);
  registerRetention(program);
  registerIncident(program);
  registerEvidence(program);
}
