import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { testDatabaseUrl } from './env';

/** A fresh schema in the test database; drop it with the returned function. */
export async function freshSchema(
  prefix = 't',
): Promise<{ schema: string; url: string; drop: () => Promise<void> }> {
  const schema = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = testDatabaseUrl();
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE SCHEMA "${schema}"`);
  await c.end();
  return {
    schema,
    url,
    drop: async () => {
      const d = new Client({ connectionString: url });
      await d.connect();
      await d.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await d.end();
    },
  };
}
