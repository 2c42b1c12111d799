import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { IpBlocksRepository } from '../ip-blocks/ip-blocks.repository';
import type { MaintenanceJob } from './maintenance-job';

/** IP blocks that ran out are deleted (the guard already ignores them). */
@Injectable()
export class PruneIpBlocksJob implements MaintenanceJob {
  constructor(private readonly blocks: IpBlocksRepository) {}

  run(q: Queryable): Promise<void> {
    return this.blocks.pruneExpired(q);
  }
}
