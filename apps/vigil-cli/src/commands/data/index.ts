import type { Command } from 'commander';

/**
 * Commands over the audit data and its pipeline: db, audit, alerts, dlq, retention, incident,
 * evidence.
 */
export function registerDataCommands(program: Command): void {
  void program;
}
