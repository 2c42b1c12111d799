import { releaseAnnouncementsMigration } from '@vigil/database';
import { Baseline1763900000000 } from './1763900000000-baseline';
import { AuditStore1763900100000 } from './1763900100000-audit-store';
import { CheckpointIntegrity1763900200000 } from './1763900200000-checkpoint-integrity';
import { Retention1763900600000 } from './1763900600000-retention';

/** Applied in this order; append new migrations, never edit a landed one. */
export const migrations = [
  Baseline1763900000000,
  AuditStore1763900100000,
  CheckpointIntegrity1763900200000,
  Retention1763900600000,
  /** DEPLOYMENT and SCHEMA_MIGRATION announcements; the writer's runtime role uses the table. */
  releaseAnnouncementsMigration(1764100000000, ['vigil_audit_ingest']),
];
