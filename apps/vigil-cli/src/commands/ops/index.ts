import type { Command } from 'commander';

/**
 * Commands that operate the live system through the gateway and the services' health: smoke,
 * status, users, sessions, ip, keys, maintenance, log-level.
 */
export function registerOpsCommands(program: Command): void {
  void program;
}
