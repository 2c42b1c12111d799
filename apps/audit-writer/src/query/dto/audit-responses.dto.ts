import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import type { AuditLogView } from '@vigil/contracts';
import { CheckResultDoc } from '@vigil/runtime';

// OpenAPI shapes of the audit query API's answers (audit-query.repository.ts builds them).

/** One row of audit_logs (or of the restored archives), as the API shows it (@vigil/contracts AuditLogView). */
export class AuditLogViewDoc implements AuditLogView {
  @ApiProperty({ description: 'row id (bigint, as text)', example: '1042' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: "the event's id (idempotency key)" })
  eventId!: string;

  @ApiProperty({ format: 'date-time', description: "the event's occurredAt" })
  createdAt!: string;

  @ApiProperty({ example: 'FAILED_AUTH_LOGIN' })
  action!: string;

  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  userId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '198.51.100.7' })
  ipAddress!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'curl/8.5.0' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'alice@example.com' })
  username!: string | null;

  @ApiProperty({ enum: ['success', 'failure', 'denied', 'error'] })
  outcome!: string;

  @ApiProperty({ type: String, nullable: true, example: 'invalid_credentials' })
  reason!: string | null;

  @ApiProperty({ example: 'auth-gateway' })
  producer!: string;

  @ApiProperty({ type: String, nullable: true })
  requestId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  actorUserId!: string | null;

  @ApiProperty({ type: [String], nullable: true, example: ['admin'] })
  actorRoles!: string[] | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "the event's typed attributes",
  })
  details!: unknown;

  @ApiProperty({ description: 'hash chain (<topic>:<partition>)', example: 'auth.events.v1:0' })
  chainId!: string;

  @ApiProperty({ description: 'position in the chain (bigint, as text)', example: '57' })
  chainSeq!: string;
}

export const AUDIT_LOG_EXAMPLE = {
  id: '1042',
  eventId: '0193a6c2-7b1e-7c4a-9f1d-3e2b5a6c7d8e',
  createdAt: '2026-12-02T09:14:03.125Z',
  action: 'FAILED_AUTH_LOGIN',
  userId: null,
  ipAddress: '198.51.100.7',
  userAgent: 'curl/8.5.0',
  username: 'alice@example.com',
  outcome: 'failure',
  reason: 'invalid_credentials',
  producer: 'auth-gateway',
  requestId: 'req-7f3a9c',
  actorUserId: null,
  actorRoles: null,
  details: { attemptCount: 3, repeated: false },
  chainId: 'auth.events.v1:0',
  chainSeq: '57',
};

export class AuditLogPageDoc {
  @ApiProperty({ type: [AuditLogViewDoc], description: 'newest first' })
  items!: AuditLogViewDoc[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'pass as ?cursor= for the next page; null on the last page',
    example: 'MjAyNi0xMi0wMlQwOToxNDowMy4xMjVafDEwNDI',
  })
  nextCursor!: string | null;
}

class FailuresByIpDoc {
  @ApiProperty({ type: String, nullable: true, example: '198.51.100.7' })
  ip!: string | null;

  @ApiProperty({ example: 42 })
  failures!: number;
}

class FailuresBySubjectDoc {
  @ApiProperty({ type: String, nullable: true, description: 'user id, else the attempted username' })
  subject!: string | null;

  @ApiProperty({ example: 7 })
  failures!: number;
}

class ActionCountDoc {
  @ApiProperty({ example: 'FAILED_AUTH_LOGIN' })
  action!: string;

  @ApiProperty({ example: 120 })
  count!: number;
}

export class SecuritySummaryDoc {
  @ApiProperty({ format: 'date-time' })
  since!: string;

  @ApiProperty({ type: [AuditLogViewDoc], description: 'SECURITY_* rows (alert transitions), newest first' })
  alerts!: AuditLogViewDoc[];

  @ApiProperty({ type: [FailuresByIpDoc] })
  topFailedIps!: FailuresByIpDoc[];

  @ApiProperty({ type: [FailuresBySubjectDoc] })
  topFailedSubjects!: FailuresBySubjectDoc[];

  @ApiProperty({ type: [ActionCountDoc], description: 'security-relevant actions counted since `since`' })
  counts!: ActionCountDoc[];
}

class StatsBucketDoc {
  @ApiProperty({ format: 'date-time', description: 'start of the hour or day' })
  bucket!: string;

  @ApiProperty({ example: 'AUTH_LOGIN' })
  action!: string;

  @ApiProperty({ example: 12 })
  count!: number;
}

export class StatsDoc {
  @ApiProperty({ enum: ['hour', 'day'] })
  bucket!: string;

  @ApiProperty({ type: [StatsBucketDoc], description: 'newest bucket first' })
  buckets!: StatsBucketDoc[];
}

class CheckpointDoc {
  @ApiProperty({ example: 'auth.events.v1:0' })
  chainId!: string;

  @ApiProperty({ description: 'rows covered (the chain position signed)', example: 57 })
  position!: number;

  @ApiProperty({ description: 'SHA-256 of the head row (hex)' })
  headHash!: string;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  headCreatedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  prevCheckpointHash!: string | null;

  @ApiProperty()
  checkpointHash!: string;

  @ApiProperty({ description: 'fingerprint of the Ed25519 signing key' })
  keyFingerprint!: string;

  @ApiProperty({ example: 'Ed25519' })
  algorithm!: string;

  @ApiProperty({ description: 'base64 signature' })
  signature!: string;

  @ApiProperty({ format: 'date-time' })
  signedAt!: string;
}

class PublicKeyDoc {
  @ApiProperty()
  fingerprint!: string;

  @ApiProperty({ description: 'SPKI PEM public key (never a private key)' })
  publicKeyPem!: string;
}

export class CheckpointsDoc {
  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({
    type: [CheckpointDoc],
    description: 'signed inside [from, to), plus per chain the last before it and the first after it',
  })
  items!: CheckpointDoc[];

  @ApiProperty({ type: [PublicKeyDoc], description: 'the public keys that verify the items' })
  keys!: PublicKeyDoc[];
}

class ChainHeadDoc {
  @ApiProperty({ example: 'auth.events.v1:0' })
  chainId!: string;

  @ApiProperty({ example: 57 })
  position!: number;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  headCreatedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

export class StoreHealthDoc {
  @ApiProperty({ enum: ['ok', 'degraded', 'shutting_down'] })
  status!: string;

  @ApiProperty({ type: [String] })
  failing!: string[];

  @ApiProperty({ type: 'object', additionalProperties: { $ref: getSchemaPath(CheckResultDoc) } })
  checks!: Record<string, CheckResultDoc>;

  @ApiProperty({ description: 'total size of audit_logs and its partitions (seed 001-06)', example: 1843200 })
  storeBytes!: number;

  @ApiProperty({ example: 98 })
  partitions!: number;

  @ApiProperty({ example: 310 })
  rowsLastHour!: number;

  @ApiProperty({ type: [ChainHeadDoc] })
  chains!: ChainHeadDoc[];

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  lastCheckpointAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 4 })
  lastCheckpointAgeSeconds!: number | null;

  @ApiProperty({ example: 0 })
  unpublishedCheckpoints!: number;
}
