/**
 * The S3 server of the integration tier: S3Proxy, started by deploy/local/infra.sh up
 * (deploy/local/s3proxy.sh). Its endpoint, bucket and credential files come from
 * `s3proxy.sh env`, exactly what deploy/local/start-all.sh gives the retention-worker.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadConfig } from '@vigil/config';
import { archiveSchema, type ArchiveConfig } from '../../apps/retention-worker/src/archive/archive.config';

const ROOT = path.resolve(__dirname, '../..');

/** The ARCHIVE_* variables for the local S3Proxy (S3_PORT, S3_BUCKET and VIGIL_SECRETS_DIR apply). */
export function s3ProxyEnv(): Record<string, string> {
  const out = execFileSync('bash', [path.join(ROOT, 'deploy/local/s3proxy.sh'), 'env'], { encoding: 'utf8' });
  return Object.fromEntries(
    out
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * Archive configuration for the local S3Proxy under a prefix unique to this call, so suites and
 * runs never see each other's objects.
 */
export function s3TestConfig(overrides: Record<string, string> = {}): ArchiveConfig {
  return loadConfig(archiveSchema, {
    NODE_ENV: 'test',
    ...s3ProxyEnv(),
    ARCHIVE_S3_PREFIX: `test/${randomUUID()}`,
    ...overrides,
  });
}
