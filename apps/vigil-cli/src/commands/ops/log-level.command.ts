import { Argument, Command, Option } from 'commander';
import { action } from '../../command';
import { CliError, ExitCode, UsageError } from '../../errors';
import { table } from '../../output';
import { formatSeconds, LOG_SERVICES, parseDuration, parseService, type LogService } from './ops-args';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

interface LevelView {
  service: string;
  level: string;
  configured: string;
  revertsAt: string | null;
  before?: string;
}

function servicesOf(values: string[] | undefined): LogService[] {
  const names = values?.length ? values.map(parseService) : (Object.keys(LOG_SERVICES) as LogService[]);
  return [...new Set(names)];
}

/** One call per service; a service that fails is reported in its row, and decides the exit code. */
async function eachService(
  services: LogService[],
  call: (service: LogService) => Promise<LevelView>,
): Promise<{
  rows: Array<LevelView | { service: string; error: string; exitCode: number }>;
  exitCode: number;
}> {
  const rows = await Promise.all(
    services.map(async (service) => {
      try {
        return await call(service);
      } catch (err) {
        if (!(err instanceof CliError) || err.exitCode === ExitCode.usage) throw err;
        return { service, error: err.message, exitCode: err.exitCode };
      }
    }),
  );
  const worst = Math.max(0, ...rows.map((r) => ('exitCode' in r ? r.exitCode : 0)));
  return { rows, exitCode: worst };
}

const formatRows = (rows: Array<LevelView | { service: string; error: string }>): string =>
  table(
    rows.map((r) =>
      'error' in r
        ? { service: r.service, level: 'FAILED', configured: '-', revertsAt: r.error }
        : { service: r.service, level: r.level, configured: r.configured, revertsAt: r.revertsAt },
    ),
  );

export function registerLogLevel(program: Command): void {
  const logLevel = program
    .command('log-level')
    .description(
      "Seeds 002-32, 004-15: read or change the services' log level at runtime, without a restart (the instance behind the URL; with several replicas, each has its own)",
    )
    .addHelpText(
      'after',
      `
Services: auth-gateway (gateway), audit-writer (audit, writer), security-monitor (monitor),
retention-worker (retention); default: all four. At debug every HTTP request is logged too.`,
    );

  logLevel
    .command('get')
    .argument('[service...]', 'services to ask (default: all four)')
    .description("Each service's current level, its configured LOG_LEVEL and when a temporary level reverts")
    .action(
      action<[string[]]>(async (ctx, _opts, names) => {
        const r = await eachService(servicesOf(names), (s) =>
          ctx.api(s).get<LevelView>(LOG_SERVICES[s].path),
        );
        ctx.print(r.rows, formatRows);
        return r.exitCode;
      }),
    );

  logLevel
    .command('set')
    .addArgument(new Argument('<level>', 'the new level').choices(LEVELS))
    .argument('[service...]', 'services to change (default: all four)')
    .option('--ttl <duration>', 'then back to LOG_LEVEL by itself (90s, 15m, 1h, 2d; at most 7d)')
    .addOption(
      new Option(
        '--permanent',
        'no TTL: until changed again or restarted (the default without --ttl)',
      ).conflicts('ttl'),
    )
    .description(
      'Change the level now (logged at warn with you as the actor; the gateway also writes LOG_LEVEL_CHANGED)',
    )
    .action(
      action<[string, string[]], { ttl?: string }>(async (ctx, opts, level, names) => {
        if (!(LEVELS as readonly string[]).includes(level))
          throw new UsageError(`level: one of ${LEVELS.join(', ')}`);
        const ttlSeconds = opts.ttl === undefined ? undefined : parseDuration('--ttl', opts.ttl, 7 * 86400);
        const r = await eachService(servicesOf(names), (s) =>
          ctx.api(s).put<LevelView>(LOG_SERVICES[s].path, { level, ttlSeconds }),
        );
        ctx.print(r.rows, (rows) =>
          [formatRows(rows), ttlSeconds ? `(back to each LOG_LEVEL in ${formatSeconds(ttlSeconds)})` : '']
            .filter(Boolean)
            .join('\n'),
        );
        return r.exitCode;
      }),
    );
}
