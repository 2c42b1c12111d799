import type { DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Writable } from 'node:stream';
import winston, { type Logger } from 'winston';
import { createLogger } from '@vigil/telemetry';
import { createServiceApp, type BaseServiceConfig } from '@vigil/runtime';
import { freshSchema, kafkaBrokers } from '@vigil/testing';
import { AppModule as AuthGatewayModule } from '../../apps/auth-gateway/src/app.module';
import { loadAuthGatewayConfig } from '../../apps/auth-gateway/src/config';
import { AppModule as AuditWriterModule } from '../../apps/audit-writer/src/app.module';
import { loadAuditWriterConfig } from '../../apps/audit-writer/src/config';
import { AppModule as SecurityMonitorModule } from '../../apps/security-monitor/src/app.module';
import { loadSecurityMonitorConfig } from '../../apps/security-monitor/src/config';
import { AppModule as RetentionWorkerModule } from '../../apps/retention-worker/src/app.module';
import { loadRetentionWorkerConfig } from '../../apps/retention-worker/src/config';

interface AppDef {
  load: (env: NodeJS.ProcessEnv) => BaseServiceConfig;
  module: (config: never, logger: Logger) => DynamicModule;
}

export const APPS: Record<string, AppDef> = {
  'auth-gateway': { load: loadAuthGatewayConfig, module: AuthGatewayModule.register },
  'audit-writer': { load: loadAuditWriterConfig, module: AuditWriterModule.register },
  'security-monitor': { load: loadSecurityMonitorConfig, module: SecurityMonitorModule.register },
  'retention-worker': { load: loadRetentionWorkerConfig, module: RetentionWorkerModule.register },
};

export interface TestApp {
  app: NestExpressApplication;
  schema: string;
  /** Every log line the app wrote, as parsed JSON. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Builds one of the four services in-process against the real PostgreSQL (a fresh schema, so
 * migrations run from scratch) and the real Kafka broker. `beforeInit` can register consumers.
 */
export async function startApp(
  name: keyof typeof APPS,
  env: NodeJS.ProcessEnv = {},
  beforeInit?: (app: NestExpressApplication) => void,
): Promise<TestApp> {
  const { schema, url, drop } = await freshSchema(name.replace(/-/g, '_'));
  const def = APPS[name];
  // The suite connects as the superuser, so every service (the writer too) migrates its fresh schema at start.
  const config = def.load({ DATABASE_URL: url, DB_SCHEMA: schema, DB_MIGRATE_ON_START: 'true', KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_CLIENT_ID: `test-${schema}`, LOG_LEVEL: 'debug', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write: (chunk, _e, cb) => (logs.push(JSON.parse(chunk.toString())), cb()) });
  const logger = createLogger({ service: name, level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
  const app = await createServiceApp({ module: (c, l) => def.module(c as never, l) }, config, logger);
  beforeInit?.(app);
  await app.init();
  return {
    app,
    schema,
    logs,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
