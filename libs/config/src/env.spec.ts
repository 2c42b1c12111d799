import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, describeConfig, env, loadConfig } from './env';
import { serviceSchema } from './service-config';

describe('loadConfig', () => {
  const schema = serviceSchema({ port: 3001, schema: 'audit' });

  it('applies defaults when nothing is set', () => {
    const c = loadConfig(schema, {});
    expect(c.httpPort).toBe(3001);
    expect(c.dbSchema).toBe('audit');
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  });

  it('refuses bad values and names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig(schema, {
        HTTP_PORT: 'eighty',
        KAFKA_BROKERS: 'localhost',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'not a url',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const v of ['HTTP_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL', 'DATABASE_URL'])
      expect(problems).toContain(v);
  });

  it('never echoes a URL that failed to parse (it may carry a password)', () => {
    expect(() =>
      loadConfig({ u: env.url('DATABASE_URL') }, { DATABASE_URL: 'postgres//user:hunter2@x' }),
    ).toThrow(/^(?![\s\S]*hunter2)[\s\S]*DATABASE_URL must be a URL/);
  });

  describe('secrets (issue 14 item 9)', () => {
    const secretSchema = {
      url: env.url('DATABASE_URL', { default: 'postgres://postgres@127.0.0.1:5432/vigil', secret: true }),
      port: env.int('HTTP_PORT', { default: 3000 }),
    };

    it("uses a secret's development default outside production only", () => {
      expect(loadConfig(secretSchema, { NODE_ENV: 'test' }).url).toBe(
        'postgres://postgres@127.0.0.1:5432/vigil',
      );
      expect(() => loadConfig(secretSchema, { NODE_ENV: 'production' })).toThrow(
        'DATABASE_URL is required when NODE_ENV=production (its default is for development only)',
      );
      // Defaults that are not secrets still apply in production.
      expect(
        loadConfig(secretSchema, { NODE_ENV: 'production', DATABASE_URL: 'postgres://svc:pw@db/vigil' }).port,
      ).toBe(3000);
    });

    it('reads a secret from <VARIABLE>_FILE (trailing newline trimmed), never both, and names an unreadable file', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-env-'));
      const file = path.join(dir, 'url');
      writeFileSync(file, 'postgres://svc:from-file@db/vigil\n');
      expect(loadConfig(secretSchema, { NODE_ENV: 'production', DATABASE_URL_FILE: file }).url).toBe(
        'postgres://svc:from-file@db/vigil',
      );
      expect(() =>
        loadConfig(secretSchema, { DATABASE_URL_FILE: file, DATABASE_URL: 'postgres://x@y/z' }),
      ).toThrow('DATABASE_URL and DATABASE_URL_FILE are both set');
      expect(() => loadConfig(secretSchema, { DATABASE_URL_FILE: path.join(dir, 'missing') })).toThrow(
        'DATABASE_URL_FILE cannot be read (ENOENT)',
      );
      // Not for ordinary variables: HTTP_PORT_FILE means nothing.
      expect(loadConfig(secretSchema, { HTTP_PORT_FILE: file }).port).toBe(3000);
    });

    it('every service refuses production with its superuser development database URL', () => {
      const schema = serviceSchema({ port: 3001, schema: 'audit' });
      expect(() => loadConfig(schema, { NODE_ENV: 'production' })).toThrow(
        /DATABASE_URL is required when NODE_ENV=production/,
      );
    });
  });

  it('reports a missing required variable by name', () => {
    expect(() => loadConfig({ k: env.string('SIGNING_KEY_PATH') }, {})).toThrow(
      'SIGNING_KEY_PATH is required',
    );
  });

  it('masks secret fields when the configuration is described for a log line', () => {
    const c = loadConfig(schema, { DATABASE_URL: 'postgres://svc:hunter2@db:5432/vigil' });
    const described = JSON.stringify(describeConfig(schema, c));
    expect(described).not.toContain('hunter2');
    expect(described).toContain('"DATABASE_URL":"[REDACTED]"');
  });
});
