import type { Actor } from '../events/ops-outbox';
import type { PartitionInfo } from './audit-store.repository';

/** Steps of one partition, in order; a fault injected after any of them must lose nothing. */
export const STEPS = [
  'exported',
  'manifested',
  'verified',
  'cut',
  'detached',
  'dropped',
  'archive-deleted',
] as const;
export type Step = (typeof STEPS)[number];

export class RunInProgress extends Error {
  override name = 'RunInProgress';
}

export interface RunOptions {
  trigger: 'schedule' | 'api' | 'cli';
  dryRun: boolean;
  /** Defaults to the policy's hotDays; never below it (the API refuses shorter). */
  retentionDays?: number;
  actor?: Actor;
  /** Progress lines (the CLI prints them). */
  progress?: (line: string) => void;
}

export interface PartitionPlan extends PartitionInfo {
  classes: Array<{ name: string; rows: number; archiveDays: number }>;
  heldBy: string | null;
}

export interface RunReport {
  runId: string;
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  partitions: PartitionPlan[];
  totals: { partitions: number; rows: number; bytes: number };
  archived: Array<{
    archiveId: string;
    partition: string;
    className: string;
    rows: number;
    bytes: number;
    sha256: string;
  }>;
  detached: string[];
  dropped: string[];
  held: string[];
  archivesDeleted: string[];
  archivesKept: Array<{ archiveId: string; heldBy: string }>;
  failures: Array<{ partition?: string; step: string; error: string }>;
  outcome: 'success' | 'partial' | 'failure';
}
