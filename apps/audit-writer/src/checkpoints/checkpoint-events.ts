import type { SignedCheckpoint, SignedRetentionCut } from '@vigil/chain';
import { alertDedupKey, createEvent, sevOf, Topics, type EventOf } from '@vigil/contracts';
import type { TopicSpec } from '@vigil/kafka';

/*
 * What the signer publishes: checkpoints and retention cuts on audit.checkpoints.v1, and the SEV-1
 * alert it raises instead of signing a chain that went backwards. Pure builders, no I/O.
 */

const PRODUCER = 'audit-writer';
const DAY_MS = 86_400_000;

/**
 * audit.checkpoints.v1 is compacted by key (chain id for checkpoints, `<chainId>#cut` for cuts), so
 * every chain's latest checkpoint and latest cut are kept for ever, and nothing younger than 7 days
 * is compacted away: a witness that reads at least weekly sees every checkpoint.
 */
export const CHECKPOINT_TOPIC_SPEC = {
  topic: Topics.AUDIT_CHECKPOINTS,
  config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(7 * DAY_MS) },
} satisfies TopicSpec;

export function checkpointEvent(cp: SignedCheckpoint): EventOf<'AUDIT_CHECKPOINT'> {
  return createEvent('AUDIT_CHECKPOINT', {
    producer: PRODUCER,
    outcome: 'success',
    occurredAt: cp.signedAt,
    attributes: {
      chainId: cp.chainId,
      position: cp.position,
      headHash: cp.headHash,
      prevCheckpointHash: cp.prevCheckpointHash,
      algorithm: cp.algorithm,
      keyFingerprint: cp.keyFingerprint,
      signature: cp.signature,
      signedAt: cp.signedAt,
      ...(cp.headCreatedAt ? { headCreatedAt: cp.headCreatedAt } : {}),
    },
  });
}

export function retentionCutEvent(cut: SignedRetentionCut): EventOf<'AUDIT_RETENTION_CUT'> {
  return createEvent('AUDIT_RETENTION_CUT', {
    producer: PRODUCER,
    outcome: 'success',
    occurredAt: cut.cutAt,
    attributes: {
      chainId: cut.chainId,
      upToSeq: cut.upToSeq,
      lastHash: cut.lastHash,
      ...(cut.lastCreatedAt ? { lastCreatedAt: cut.lastCreatedAt } : {}),
      policy: cut.policy,
      cutAt: cut.cutAt,
      algorithm: cut.algorithm,
      keyFingerprint: cut.keyFingerprint,
      signature: cut.signature,
    },
  });
}

export const CHAIN_REGRESSION_RULE = 'audit-chain-regression';

export interface ChainRegression {
  chainId: string;
  headPosition: number;
  headHash: string;
  checkpointPosition: number;
  checkpointSignedAt: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
}

/** A chain head behind (or beside) its own last signed checkpoint: someone rewound the store. */
export function chainRegressionAlert(r: ChainRegression): EventOf<'SECURITY_ALERT'> {
  const what =
    r.headPosition < r.checkpointPosition
      ? `head at position ${r.headPosition} is below its last signed checkpoint at ${r.checkpointPosition}`
      : `head hash at position ${r.headPosition} differs from the one signed at that position`;
  return createEvent('SECURITY_ALERT', {
    producer: PRODUCER,
    outcome: 'failure',
    reason: 'chain_regression',
    occurredAt: r.lastSeen,
    attributes: {
      alertId: alertDedupKey(CHAIN_REGRESSION_RULE, 'chain', r.chainId),
      ruleId: CHAIN_REGRESSION_RULE,
      ruleVersion: 1,
      status: r.count === 1 ? 'firing' : 'updated',
      severity: 'critical',
      sev: sevOf('critical'),
      firstSeen: r.firstSeen,
      lastSeen: r.lastSeen,
      count: r.count,
      key: { kind: 'chain', value: r.chainId },
      sampleEventIds: [],
      // Indicator removal / stored data manipulation: the audit trail itself was rewound.
      mitre: ['TA0005', 'T1070', 'T1565.001'],
      summary: `audit chain ${r.chainId}: ${what} (signed ${r.checkpointSignedAt}); the signer refused to sign it. Run audit:verify against the witness.`,
    },
  });
}
