import type { Command } from 'commander';
import { registerIp } from './ip.command';
import { registerKeys } from './keys.command';
import { registerLogLevel } from './log-level.command';
import { registerMaintenance } from './maintenance.command';
import { registerSessions } from './sessions.command';
import { registerSmoke } from './smoke.command';
import { registerStatus } from './status.command';
import { registerUsers } from './users.command';

/**
 * Commands that operate the live system through the gateway and the services' health: smoke,
 * status, users, sessions, ip, keys, maintenance, log-level.
 */
export function registerOpsCommands(program: Command): void {
  registerSmoke(program);
  registerStatus(program);
  registerUsers(program);
  registerSessions(program);
  registerIp(program);
  registerKeys(program);
  registerMaintenance(program);
  registerLogLevel(program);
}
