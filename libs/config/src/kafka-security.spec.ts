import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeConfig, loadConfig } from './env';
import { kafkaSecurityFromEnv, serviceSchema } from './service-config';

// Issue 14 item 1 (Kafka client security from validated config) and item 9 (no secret defaulted in production).
describe('Kafka client security config', () => {
  const schema = serviceSchema({ port: 3002, schema: 'monitor' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-kafka-sec-'));
  const pwFile = path.join(dir, 'pw');
  fs.writeFileSync(pwFile, 's3cret-from-file\n', { mode: 0o600 });
  fs.mkdirSync(path.join(dir, 'sasl'));
  fs.writeFileSync(path.join(dir, 'sasl', 'vigil-monitor.password'), 'local-made\n');
  const problems = (source: Record<string, string>): string[] => {
    try {
      loadConfig(schema, source);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('outside production: SCRAM-SHA-512 as the service principal with the password kafka.sh made', () => {
    const c = loadConfig(schema, { KAFKA_HOME: dir });
    expect([c.kafkaSaslMechanism, c.kafkaUsername, c.kafkaPassword, c.kafkaTls]).toEqual([
      'scram-sha-512',
      'vigil-monitor',
      'local-made',
      undefined,
    ]);
  });

  it('reads KAFKA_PASSWORD_FILE (trailing newline dropped) and never shows the password in the config dump', () => {
    const c = loadConfig(schema, { KAFKA_USERNAME: 'svc', KAFKA_PASSWORD_FILE: pwFile });
    expect(c.kafkaPassword).toBe('s3cret-from-file');
    expect(JSON.stringify(describeConfig(schema, c))).not.toContain('s3cret');
  });

  it('in production nothing is defaulted: each missing variable is named', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'DATABASE_URL is required when NODE_ENV=production (its default is for development only)',
      'KAFKA_SASL_MECHANISM is required in production (scram-sha-512, scram-sha-256, plain or none)',
      'KAFKA_USERNAME is required in production (unless KAFKA_SASL_MECHANISM=none)',
      'KAFKA_PASSWORD or KAFKA_PASSWORD_FILE is required in production (unless KAFKA_SASL_MECHANISM=none)',
    ]);
    const ok = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://m:pw@db/vigil',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'vigil-monitor',
      KAFKA_PASSWORD: 'x',
    };
    expect(problems(ok)).toEqual([]);
  });

  it('refuses mechanism none in production unless KAFKA_ALLOW_UNAUTHENTICATED=true', () => {
    const base = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://m:pw@db/vigil',
      KAFKA_SASL_MECHANISM: 'none',
    };
    expect(problems(base)).toEqual([
      'KAFKA_SASL_MECHANISM=none is refused in production unless KAFKA_ALLOW_UNAUTHENTICATED=true',
    ]);
    expect(problems({ ...base, KAFKA_ALLOW_UNAUTHENTICATED: 'true' })).toEqual([]);
  });

  it('names bad values: mechanism, both password sources, unreadable files, TLS files without TLS, cert without key', () => {
    const p = problems({
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_PASSWORD: 'a',
      KAFKA_PASSWORD_FILE: pwFile,
      KAFKA_TLS_CA_FILE: '/nope.pem',
    });
    expect(p).toEqual([
      'KAFKA_SASL_MECHANISM must be one of scram-sha-512, scram-sha-256, plain, none (got "gssapi")',
      'KAFKA_PASSWORD and KAFKA_PASSWORD_FILE are exclusive: set one',
      'KAFKA_TLS_CA_FILE set but KAFKA_TLS is not true',
    ]);
    expect(problems({ KAFKA_PASSWORD_FILE: path.join(dir, 'missing') })).toEqual([
      `KAFKA_PASSWORD_FILE cannot be read (${path.join(dir, 'missing')}): ENOENT`,
    ]);
    expect(problems({ KAFKA_PASSWORD: 'x', KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: pwFile })).toEqual([
      `KAFKA_TLS_CA_FILE (${pwFile}) holds no PEM block`,
    ]);
    expect(problems({ KAFKA_PASSWORD: 'x', KAFKA_TLS: 'true', KAFKA_TLS_CERT_FILE: pwFile })).toEqual([
      'KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE go together (mutual TLS)',
    ]);
  });

  it('CLIs and fixtures default to the local admin principal', () => {
    fs.writeFileSync(path.join(dir, 'sasl', 'vigil-admin.password'), 'admin-pw');
    expect(kafkaSecurityFromEnv({ KAFKA_HOME: dir })).toEqual({
      mechanism: 'scram-sha-512',
      username: 'vigil-admin',
      password: 'admin-pw',
      tls: undefined,
    });
    expect(kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: 'none' })).toEqual({
      mechanism: 'none',
      username: undefined,
      password: undefined,
      tls: undefined,
    });
  });
});
