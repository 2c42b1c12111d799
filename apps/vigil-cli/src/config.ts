import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, env, loadConfig, type ConfigOf } from '@vigil/config';
import { Topics } from '@vigil/contracts';
import { UsageError } from './errors';

/** The services the CLI talks to; each reachable through the one base URL unless overridden. */
export const SERVICES = ['auth-gateway', 'audit-writer', 'security-monitor', 'retention-worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * What the CLI reads from its environment. One base URL (the edge: `npm start`'s proxy, compose's
 * edge, or the Kubernetes Ingress) serves every API; a per-service URL overrides it (a port-forward
 * to one service, a test). Credentials never come from flags (they would show in `ps` and shell
 * history): a token, or an admin's username with a password (or a file holding it), or the local
 * quick start's `.cache/admin-credentials`.
 */
export const cliSchema = {
  baseUrl: env.url('VIGIL_BASE_URL', { default: 'http://127.0.0.1:8080', protocols: ['http', 'https'] }),
  gatewayUrl: env.url('VIGIL_GATEWAY_URL', { optional: true, protocols: ['http', 'https'] }),
  auditUrl: env.url('VIGIL_AUDIT_URL', { optional: true, protocols: ['http', 'https'] }),
  monitorUrl: env.url('VIGIL_MONITOR_URL', { optional: true, protocols: ['http', 'https'] }),
  retentionUrl: env.url('VIGIL_RETENTION_URL', { optional: true, protocols: ['http', 'https'] }),
  token: env.string('VIGIL_ADMIN_TOKEN', { optional: true, secret: true, maxLength: 8192 }),
  username: env.string('VIGIL_ADMIN_USERNAME', { optional: true, maxLength: 320 }),
  password: env.string('VIGIL_ADMIN_PASSWORD', { optional: true, secret: true, maxLength: 1024 }),
  credentialsFile: env.string('VIGIL_ADMIN_CREDENTIALS_FILE', { optional: true, maxLength: 4096 }),
  timeoutMs: env.int('VIGIL_HTTP_TIMEOUT_MS', { default: 15000, min: 100, max: 600000 }),
  // The data commands that read PostgreSQL or Kafka directly (db, audit verify, alerts, dlq).
  databaseUrl: env.url('VIGIL_DATABASE_URL', {
    default: 'postgres://postgres@127.0.0.1:5432/vigil',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
  auditSchema: env.string('VIGIL_AUDIT_SCHEMA', { default: 'audit', pattern: /^[a-z_][a-z0-9_]{0,62}$/ }),
  kafkaBrokers: env.hostPorts('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
  alertsTopic: env.string('VIGIL_ALERTS_TOPIC', {
    default: Topics.SECURITY_ALERTS,
    pattern: /^[a-zA-Z0-9._-]+$/,
  }),
};
export type CliConfig = ConfigOf<typeof cliSchema>;

export function loadCliConfig(source: Record<string, string | undefined> = process.env): CliConfig {
  try {
    return loadConfig(cliSchema, source);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** The URL a service's API answers on: its override, else the one base URL. */
export function serviceUrl(config: CliConfig, service: ServiceName): string {
  const override = {
    'auth-gateway': config.gatewayUrl,
    'audit-writer': config.auditUrl,
    'security-monitor': config.monitorUrl,
    'retention-worker': config.retentionUrl,
  }[service];
  return override ?? config.baseUrl;
}

/** The repository root (the folder whose package.json is Vigil's), found upward from this file. */
export function repoRoot(from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vigil') return dir;
      } catch {
        /* not ours */
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The admin credentials: VIGIL_ADMIN_USERNAME + VIGIL_ADMIN_PASSWORD(_FILE), else the file named by
 * VIGIL_ADMIN_CREDENTIALS_FILE, else the quick start's `.cache/admin-credentials` (username=...,
 * password=... lines, mode 0600). Undefined when none is there.
 */
export function adminCredentials(config: CliConfig): { username: string; password: string } | undefined {
  if (config.username && config.password) return { username: config.username, password: config.password };
  if (config.username || config.password)
    throw new UsageError('VIGIL_ADMIN_USERNAME and VIGIL_ADMIN_PASSWORD are set together, or neither');
  const root = repoRoot();
  const file = config.credentialsFile ?? (root ? join(root, '.cache', 'admin-credentials') : undefined);
  if (!file || !existsSync(file)) {
    if (config.credentialsFile) throw new UsageError(`VIGIL_ADMIN_CREDENTIALS_FILE: ${file} does not exist`);
    return undefined;
  }
  const values = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) values.set(line.slice(0, eq).trim(), line.slice(eq + 1));
  }
  const username = values.get('username');
  const password = values.get('password');
  if (!username || !password) throw new UsageError(`${file}: needs username= and password= lines`);
  return { username, password };
}
