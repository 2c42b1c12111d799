import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Db } from '@vigil/database';

/**
 * The gateway's one path to PostgreSQL: `Db` from @vigil/database over the runtime's DataSource
 * (its pg pool, search_path pinned to the gateway schema). Repositories take it, or a transaction's
 * client from `Db.tx()`.
 */
@Module({
  providers: [{ provide: Db, inject: [DataSource], useFactory: (ds: DataSource) => Db.of(ds) }],
  exports: [Db],
})
export class DatabaseModule {}

/**
 * SET LOCAL for a transaction that changes `users` through the API: the users audit trigger then
 * leaves the events to the API, which writes richer ones (believed only from the gateway's own
 * role, migration 1763900300000).
 */
export const VIA_API = { 'vigil.change_channel': 'api' } as const;
