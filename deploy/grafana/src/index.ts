import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { auditPipeline } from './audit-pipeline';
import { goldenSignals } from './golden-signals';
import { security } from './security';
import { slo } from './slo';

/** Every dashboard, by the file name it is written to (deploy/grafana/dashboards/<name>.json). */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    'golden-signals': goldenSignals().build(),
    security: security().build(),
    'audit-pipeline': auditPipeline().build(),
    slo: slo().build(),
  };
}
