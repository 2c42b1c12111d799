import { DataSource, type MigrationInterface } from 'typeorm';
import type { Pool } from 'pg';
import { metrics } from '@opentelemetry/api';

export interface DatabaseOptions {
  url: string;
  /** The service's own schema: its tables and its migrations table live there. */
  schema: string;
  poolMax: number;
  applicationName: string;
  migrations?: Array<new () => MigrationInterface>;
  entities?: Array<new (...args: never[]) => unknown>;
  statementTimeoutMs?: number;
}

/**
 * A TypeORM DataSource for one service. Never `synchronize`: the schema comes from migrations
 * only, and the search_path is pinned to the service's schema.
 */
export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    synchronize: false,
    migrationsRun: false,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    migrations: opts.migrations ?? [],
    entities: opts.entities ?? [],
    applicationName: opts.applicationName,
    extra: {
      max: opts.poolMax,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      options: `-c search_path=${opts.schema},public${opts.statementTimeoutMs ? ` -c statement_timeout=${opts.statementTimeoutMs}` : ''}`,
    },
  });
}

/** The pg pool behind a DataSource (for pool metrics and raw COPY). */
export function poolOf(ds: DataSource): Pool | undefined {
  return (ds.driver as unknown as { master?: Pool }).master;
}

/** Exposes db pool usage as gauges: the seeds alert at 60 % and 80 % of the pool. */
export function registerPoolMetrics(ds: DataSource, poolMax: number): void {
  const meter = metrics.getMeter('vigil.db');
  const gauge = meter.createObservableGauge('db.client.connections.usage', {
    description: 'Connections by state',
  });
  const max = meter.createObservableGauge('db.client.connections.max', { description: 'Pool size limit' });
  meter.addBatchObservableCallback(
    (r) => {
      const pool = poolOf(ds);
      if (!pool) return;
      r.observe(gauge, pool.totalCount - pool.idleCount, { state: 'used' });
      r.observe(gauge, pool.idleCount, { state: 'idle' });
      r.observe(gauge, pool.waitingCount, { state: 'waiting' });
      r.observe(max, poolMax);
    },
    [gauge, max],
  );
}

/** Readiness: a round trip to PostgreSQL within the timeout. */
export async function checkDatabase(
  ds: DataSource,
  timeoutMs = 2000,
): Promise<{ ok: boolean; detail: string }> {
  if (!ds.isInitialized) return { ok: false, detail: 'not connected' };
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ds.query('SELECT 1'),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)),
      ),
    ]);
    return { ok: true, detail: `${Date.now() - started} ms` };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** The schema a DataSource (or a migration's connection) is pinned to. */
export function schemaOf(ds: DataSource): string {
  const schema = (ds.options as { schema?: string }).schema;
  if (!schema) throw new Error('DataSource has no schema: every Vigil service owns one (DB_SCHEMA)');
  return schema;
}
