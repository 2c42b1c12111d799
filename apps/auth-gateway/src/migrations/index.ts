import { releaseAnnouncementsMigration } from '@vigil/database';
import { Baseline1763900000000 } from './1763900000000-baseline';
import { Identity1763900100000 } from './1763900100000-identity';
import { Outbox1763900200000 } from './1763900200000-outbox';
import { TrustedChangeChannel1763900300000 } from './1763900300000-trusted-change-channel';
import { SignedActionsIpBlocks1763900400000 } from './1763900400000-signed-actions-ip-blocks';
import { RefreshSuccessor1763900500000 } from './1763900500000-refresh-successor';
import { OperatorControls1764200000000 } from './1764200000000-operator-controls';
import { OAuthClients1764300000000 } from './1764300000000-oauth-clients';

/** Applied in this order; append new migrations, never edit a landed one. */
export const migrations = [
  Baseline1763900000000,
  Identity1763900100000,
  Outbox1763900200000,
  TrustedChangeChannel1763900300000,
  SignedActionsIpBlocks1763900400000,
  RefreshSuccessor1763900500000,
  /** DEPLOYMENT and SCHEMA_MIGRATION announcements (libs/runtime ReleaseAnnouncer). */
  releaseAnnouncementsMigration(1764100000000),
  OperatorControls1764200000000,
  OAuthClients1764300000000,
];
