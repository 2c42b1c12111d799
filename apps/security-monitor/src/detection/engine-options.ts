import type { SecurityMonitorConfig } from '../config';
import type { EngineOptions } from '../engine/detection-engine';

/** The engines' options from the monitor's configuration: the live stages and the replay use the same. */
export function engineOptionsOf(
  config: Pick<
    SecurityMonitorConfig,
    'allowedLatenessSeconds' | 'updateIntervalSeconds' | 'maxKeysPerRule' | 'allowlistIps' | 'allowlistUsers'
  >,
): EngineOptions {
  return {
    allowedLatenessMs: config.allowedLatenessSeconds * 1000,
    updateIntervalMs: config.updateIntervalSeconds * 1000,
    maxKeysPerRule: config.maxKeysPerRule,
    allowlist: { ips: config.allowlistIps, users: config.allowlistUsers },
  };
}
