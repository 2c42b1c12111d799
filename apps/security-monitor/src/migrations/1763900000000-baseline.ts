import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/** Marks the schema as security-monitor's own; later migrations add its tables. */
export class Baseline1763900000000 implements MigrationInterface {
  name = 'Baseline1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const schema = schemaOf(q.connection);
    await q.query(
      `COMMENT ON SCHEMA "${schema}" IS 'Vigil security-monitor: managed by its TypeORM migrations'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const schema = schemaOf(q.connection);
    await q.query(`COMMENT ON SCHEMA "${schema}" IS NULL`);
  }
}
