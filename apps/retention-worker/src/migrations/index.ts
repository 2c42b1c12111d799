import { releaseAnnouncementsMigration } from '@vigil/database';
import { Baseline1763900000000 } from './1763900000000-baseline';
import { RetentionState1764000000000 } from './1764000000000-retention-state';
import { Backups1764000100000 } from './1764000100000-backups';

/** Applied in this order; append new migrations, never edit a landed one. */
export const migrations = [
  Baseline1763900000000,
  RetentionState1764000000000,
  Backups1764000100000,
  releaseAnnouncementsMigration(1764100000000),
];
