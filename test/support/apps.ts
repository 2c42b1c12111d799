/**
 * The one way the integration tier starts a service in-process: from the service's own definition
 * (`apps/<app>/src/<app>.definition.ts`, the one main.ts boots), so a test runs the app main.ts
 * would, with every cross-cutting concern wired (body limits, filters, the gateway's proxy trust
 * and OpenAPI), against the real PostgreSQL and the real Kafka broker. Per-app conveniences
 * (startGateway, bootMonitor) are thin wrappers over startApp.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '@vigil/telemetry';
import { createServiceApp, type BaseServiceConfig, type ServiceDefinition } from '@vigil/runtime';
import { freshSchema, kafkaBrokers } from '@vigil/testing';

/** Each service's definition, loaded when a suite starts that service (and only then). */
export const APPS = {
  'auth-gateway': async () =>
    (await import('../../apps/auth-gateway/src/auth-gateway.definition')).authGatewayDefinition,
  'audit-writer': async () =>
    (await import('../../apps/audit-writer/src/audit-writer.definition')).auditWriterDefinition,
  'security-monitor': async () =>
    (await import('../../apps/security-monitor/src/security-monitor.definition')).securityMonitorDefinition,
  'retention-worker': async () =>
    (await import('../../apps/retention-worker/src/retention-worker.definition')).retentionWorkerDefinition,
};

export type AppName = keyof typeof APPS;
type ConfigOf<N extends AppName> =
  Awaited<ReturnType<(typeof APPS)[N]>> extends ServiceDefinition<infer C> ? C : never;

export interface TestApp<C extends BaseServiceConfig = BaseServiceConfig> {
  app: NestExpressApplication;
  config: C;
  /** The schema the app was given (a fresh one unless `db` was passed). */
  schema: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Array<Record<string, unknown>>;
  /** The same lines as written (for scanning what a log would show). */
  rawLogs: string[];
  /** Closes the app, and drops the schema when startApp made it. */
  close(): Promise<void>;
}

export interface StartAppOptions {
  /** An existing schema to run on (kept on close, so a second start is a restart) instead of a fresh one. */
  db?: { url: string; schema: string };
  /** Level of the app's logger and its LOG_LEVEL [debug]. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Called before `init()`: e.g. to register an extra consumer. */
  beforeInit?: (app: NestExpressApplication) => void;
}

/**
 * Builds a service in-process on a fresh schema (so migrations run from scratch; the suite connects
 * as the superuser, so every service, the writer too, migrates it at start) or on `options.db`.
 * `env` is the service's whole environment on top of these defaults: the process environment is
 * not read.
 */
export async function startApp<N extends AppName>(
  app: N,
  env?: NodeJS.ProcessEnv,
  options?: StartAppOptions,
): Promise<TestApp<ConfigOf<N>>>;
export async function startApp<C extends BaseServiceConfig>(
  app: ServiceDefinition<C>,
  env?: NodeJS.ProcessEnv,
  options?: StartAppOptions,
): Promise<TestApp<C>>;
export async function startApp(
  which: AppName | ServiceDefinition<BaseServiceConfig>,
  env: NodeJS.ProcessEnv = {},
  options: StartAppOptions = {},
): Promise<TestApp> {
  const def = (
    typeof which === 'string' ? await APPS[which]() : which
  ) as ServiceDefinition<BaseServiceConfig>;
  const fresh = options.db ? undefined : await freshSchema(def.service.replace(/-/g, '_'));
  const { url, schema } = options.db ?? fresh!;
  const level = options.logLevel ?? 'debug';
  const config = def.loadConfig({
    DATABASE_URL: url,
    DB_SCHEMA: schema,
    DB_MIGRATE_ON_START: 'true',
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_CLIENT_ID: `test-${schema}`,
    LOG_LEVEL: level,
    // DEPLOYMENT/SCHEMA_MIGRATION at start go to the real ops.events.v1: only tests of them ask.
    VIGIL_ANNOUNCE_RELEASES: 'false',
    ...env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const rawLogs: string[] = [];
  const sink = new Writable({
    write: (chunk, _e, cb) => {
      const line = chunk.toString();
      rawLogs.push(line);
      logs.push(JSON.parse(line));
      cb();
    },
  });
  const logger = createLogger({
    service: def.service,
    level,
    transports: [new winston.transports.Stream({ stream: sink })],
  });
  const app = await createServiceApp(def, config, logger);
  options.beforeInit?.(app);
  await app.init();
  return {
    app,
    config,
    schema,
    logs,
    rawLogs,
    close: async () => {
      await app.close();
      await fresh?.drop();
    },
  };
}
