import { releaseAnnouncementsMigration } from '@vigil/database';
import { Baseline1763900000000 } from './1763900000000-baseline';
import { EngineSnapshots1763900200000 } from './1763900200000-engine-snapshots';
import { PartitionState1763900300000 } from './1763900300000-partition-state';

/** Applied in this order; append new migrations, never edit a landed one. */
export const migrations = [
  Baseline1763900000000,
  EngineSnapshots1763900200000,
  PartitionState1763900300000,
  releaseAnnouncementsMigration(1764100000000),
];
