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
      loadConfig(schema, { HTTP_PORT: 'eighty', KAFKA_BROKERS: 'localhost', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const v of ['HTTP_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL', 'DATABASE_URL']) expect(problems).toContain(v);
  });

  it('never echoes a URL that failed to parse (it may carry a password)', () => {
    expect(() => loadConfig({ u: env.url('DATABASE_URL') }, { DATABASE_URL: 'postgres//user:hunter2@x' })).toThrow(
      /^(?![\s\S]*hunter2)[\s\S]*DATABASE_URL must be a URL/,
    );
  });

  it('reports a missing required variable by name', () => {
    expect(() => loadConfig({ k: env.string('SIGNING_KEY_PATH') }, {})).toThrow('SIGNING_KEY_PATH is required');
  });

  it('masks secret fields when the configuration is described for a log line', () => {
    const c = loadConfig(schema, { DATABASE_URL: 'postgres://svc:hunter2@db:5432/vigil' });
    const described = JSON.stringify(describeConfig(schema, c));
    expect(described).not.toContain('hunter2');
    expect(described).toContain('"DATABASE_URL":"[REDACTED]"');
  });
});
