/**
 * Shared pieces of Vigil's dashboards: the two datasources (by fixed uid, as provisioned in
 * deploy/grafana/provisioning/datasources), query builders for PromQL and SQL, panel shorthands
 * and the deploy annotations. Each dashboard is one file beside this one; `npm run dashboards`
 * writes them to deploy/grafana/dashboards/*.json, which Grafana provisions.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as PromQuery, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** deploy/grafana/provisioning/datasources/prometheus.yml */
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: 'prometheus' };
/** deploy/grafana/provisioning/datasources/postgres.yml: the audit store, as the read-only vigil_grafana role. */
export const AUDIT_DB: common.DataSourceRef = {
  type: 'grafana-postgresql-datasource',
  uid: 'vigil-audit-db',
};

/** The four scrape jobs of deploy/prometheus/prometheus.yml. */
export const JOBS = ['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'] as const;

/** Probes and scrapes are not traffic: they would drown a quiet service's real requests. */
export const NOT_PROBES = 'http_route!~"/metrics|/health.*"';

export const HTTP = 'http_server_request_duration_seconds';

/** A PromQL target. `legend` uses Grafana's {{label}} syntax. */
export function prom(expr: string, legend = '', opts: { instant?: boolean; refId?: string } = {}) {
  const q = new PromQuery().expr(expr).legendFormat(legend || '__auto');
  if (opts.refId) q.refId(opts.refId);
  if (opts.instant) q.instant().format(PromQueryFormat.Table);
  else q.range();
  return q;
}

/** A raw SQL target for the PostgreSQL datasource (the SDK has no typed builder for it). */
export interface SqlQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  editorMode: 'code';
  format: 'table' | 'time_series';
  rawQuery: true;
  rawSql: string;
}

export class SqlQueryBuilder implements cog.Builder<SqlQuery> {
  constructor(
    private readonly sql: string,
    private readonly format: 'table' | 'time_series' = 'table',
    private readonly refId = 'A',
  ) {}
  build(): SqlQuery {
    return {
      refId: this.refId,
      datasource: AUDIT_DB,
      editorMode: 'code',
      format: this.format,
      rawQuery: true,
      rawSql: this.sql.replace(/\s+/g, ' ').trim(),
      _implementsDataqueryVariant: () => undefined,
    };
  }
}

export const sql = (text: string, format: 'table' | 'time_series' = 'table') =>
  new SqlQueryBuilder(text, format);

type Threshold = [number | null, string];
function thresholds(steps: Threshold[]) {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

interface PanelOpts {
  description?: string;
  unit?: string;
  span?: number;
  height?: number;
  min?: number;
  max?: number;
  /** [null, 'green'] first, then the values where the colour changes. */
  thresholds?: Threshold[];
}

/** A time series panel on the Prometheus datasource unless a target says otherwise. */
export function graph(title: string, targets: cog.Builder<cog.Dataquery>[], o: PanelOpts = {}) {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true)
        .calcs(['mean', 'max', 'lastNotNull']),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
  if (o.description) p.description(o.description);
  if (o.unit) p.unit(o.unit);
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.thresholds) {
    p.thresholds(thresholds(o.thresholds)).thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
    );
  }
  for (const t of targets) p.withTarget(t);
  return p;
}

/** A single number (the last value), coloured by thresholds. */
export function single(title: string, target: cog.Builder<cog.Dataquery>, o: PanelOpts = {}) {
  const p = new stat.PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS)
    .span(o.span ?? 4)
    .height(o.height ?? 4)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .withTarget(target);
  if (o.description) p.description(o.description);
  if (o.unit) p.unit(o.unit);
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  p.thresholds(thresholds(o.thresholds ?? [[null, 'green']]));
  return p;
}

/** A table: an instant PromQL query, or SQL from the audit store. */
export function grid(title: string, target: cog.Builder<cog.Dataquery>, o: PanelOpts = {}) {
  const p = new table.PanelBuilder()
    .title(title)
    .datasource(target instanceof SqlQueryBuilder ? AUDIT_DB : PROMETHEUS)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .withTarget(target);
  if (o.description) p.description(o.description);
  if (o.unit) p.unit(o.unit);
  return p;
}

export const row = (title: string) => new RowBuilder(title);

/**
 * Deploys and schema migrations (seed 002-27: "check recent deploys and migrations") from the
 * audit store, where DEPLOYMENT and SCHEMA_MIGRATION events land like any other.
 */
export const DEPLOY_ANNOTATION_SQL = `
  SELECT created_at AS time,
         action AS tags,
         concat_ws(' · ', action, producer, reason, left(details::text, 200)) AS text
    FROM audit_logs
   WHERE action IN ('DEPLOYMENT', 'SCHEMA_MIGRATION') AND $__timeFilter(created_at)
   ORDER BY created_at`;

export function deployAnnotations() {
  return new AnnotationQueryBuilder()
    .name('Deploys and migrations')
    .datasource(AUDIT_DB)
    .enable(true)
    .iconColor('purple')
    .target(sql(DEPLOY_ANNOTATION_SQL));
}

/** A `job` variable over the scrape jobs that export HTTP metrics (multi-select, All = every job). */
export function jobVariable() {
  return new QueryVariableBuilder('job')
    .label('Service')
    .datasource(PROMETHEUS)
    .query(`label_values(${HTTP}_count, job)`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current({ text: ['All'], value: ['$__all'] });
}

/** The frame every Vigil dashboard shares: tags, refresh, shared crosshair, links to the others. */
export function vigilDashboard(uid: string, title: string, description: string) {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['vigil'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc')
    .tooltip(DashboardCursorSync.Crosshair)
    .annotation(deployAnnotations())
    .link(
      new DashboardLinkBuilder('Vigil dashboards')
        .type(DashboardLinkType.Dashboards)
        .tags(['vigil'])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    );
}

export { VariableHide };

/**
 * 5xx responses over `window`, summed `by`, and 0 (not "no data") where a job had no 5xx at all,
 * so ratios and availability read 100 % rather than blank on a healthy service.
 */
export function serverErrors(window: string, by: string, filter = ''): string {
  const sel = (extra: string) => `${HTTP}_count{${[filter, extra].filter(Boolean).join(', ')}}`;
  return (
    `(sum by (${by}) (increase(${sel('http_response_status_code=~"5.."')}[${window}]))` +
    ` or sum by (${by}) (increase(${sel('')}[${window}])) * 0)`
  );
}

export function requests(window: string, by: string, filter = ''): string {
  return `sum by (${by}) (increase(${HTTP}_count{${filter}}[${window}]))`;
}
