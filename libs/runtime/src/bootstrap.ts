import { ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'winston';
import { ConfigError, type TrustProxy } from '@vigil/config';
import { createLogger, httpMetricsMiddleware, NestWinstonLogger } from '@vigil/telemetry';
import { accessLogMiddleware, requestContextMiddleware } from './http-context';
import { securityHeaders } from './security-headers';
import { answerParserErrorsAsProblems, hostileInputGuard } from './hostile-input';
import { ProblemFilter } from './problem.filter';
import type { BaseServiceConfig } from './service-config';

export interface ServiceDefinition<C extends BaseServiceConfig> {
  service: string;
  /** Reads and validates the configuration from `source` (the process environment when omitted). */
  loadConfig: (source?: NodeJS.ProcessEnv) => C;
  describeConfig?: (config: C) => Record<string, unknown>;
  module: (config: C, logger: Logger) => DynamicModule;
  /** Route prefixes etc. Called before listen. */
  configure?: (app: NestExpressApplication, config: C) => void;
  bodyLimit?: string;
}

/** EX_CONFIG from sysexits.h: a supervisor can tell "fix the config" from a crash. */
export const EXIT_CONFIG = 78;

/**
 * Validates configuration (refusing to start with a message naming each bad variable), builds the
 * app with JSON logging, request ids, metrics, problem+json errors and DTO validation, and listens.
 */
export async function bootstrapService<C extends BaseServiceConfig>(
  def: ServiceDefinition<C>,
): Promise<INestApplication> {
  let config: C;
  try {
    config = def.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        JSON.stringify({
          level: 'error',
          service: def.service,
          message: 'refusing to start: invalid configuration',
          problems: err.problems,
        }) + '\n',
      );
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  const logger = createLogger({ service: def.service, level: config.logLevel });
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { err: reason }));
  let app: NestExpressApplication;
  try {
    app = await createServiceApp(def, config, logger);
  } catch (err) {
    // A dependency that never came up, or a failed migration: say so and exit, rather than hang.
    logger.error('service failed to start', { service: def.service, err });
    await new Promise((r) => setTimeout(r, 100)); // let the log line flush
    process.exit(1);
  }
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // If an orderly stop hangs (a broker that never answers), do not hang forever.
      setTimeout(() => {
        logger.error('shutdown timed out; exiting', { timeoutMs: config.shutdownTimeoutMs });
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
    });
  }

  await app.listen(config.httpPort, config.httpHost);
  logger.info('service started', {
    service: def.service,
    url: `http://${config.httpHost === '0.0.0.0' ? '127.0.0.1' : config.httpHost}:${config.httpPort}`,
    config: def.describeConfig?.(config),
  });
  return app;
}

/**
 * TRUST_PROXY (every service; none by default) as Express's `trust proxy`: an X-Forwarded-For from
 * a peer nobody vouched for must not choose the client's address, and one from the edge in front
 * must. Every client address a service reads goes through req.ip under this setting.
 */
export function applyTrustProxy(app: NestExpressApplication, trustProxy: TrustProxy | undefined): void {
  app.set('trust proxy', trustProxy ?? false);
}

/** The app with every cross-cutting concern wired, not yet listening (tests use it directly). */
export async function createServiceApp<C extends BaseServiceConfig>(
  def: Pick<ServiceDefinition<C>, 'module' | 'configure' | 'bodyLimit'>,
  config: C,
  logger: Logger,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(def.module(config, logger), {
    logger: new NestWinstonLogger(logger),
    bodyParser: false,
  });
  app.disable('x-powered-by');
  applyTrustProxy(app, config.trustProxy);
  app.use(securityHeaders);
  app.use(requestContextMiddleware);
  app.use(httpMetricsMiddleware);
  app.use(accessLogMiddleware(logger));
  app.useBodyParser('json', { limit: def.bodyLimit ?? '64kb' });
  app.useBodyParser('urlencoded', { limit: def.bodyLimit ?? '64kb', extended: false });
  app.use(hostileInputGuard);
  answerParserErrorsAsProblems(app.getHttpServer());
  app.useGlobalFilters(new ProblemFilter(logger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  def.configure?.(app, config);
  return app;
}
