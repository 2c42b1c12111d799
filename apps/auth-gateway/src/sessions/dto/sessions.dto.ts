/* OpenAPI shapes of what the session use cases answer (admin session lists, revocations). */
import { ApiProperty } from '@nestjs/swagger';
import type { SessionView } from '../sessions.service';

/** A session (refresh family) as GET /api/v1/admin/users/:id/sessions lists it. */
export class SessionDoc implements SessionView {
  @ApiProperty({ format: 'uuid', example: '0193a6c2-2222-7000-8000-000000000002' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'the last login or refresh of the family' })
  lastUsedAt!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.10' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0' })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  revokedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: 'why it ended (e.g. logout, revoked, admin, reuse_detected)',
  })
  revokeReason!: string | null;
}

export const SESSION_EXAMPLE: SessionDoc = {
  id: '0193a6c2-2222-7000-8000-000000000002',
  createdAt: '2026-12-02T08:00:00.000Z',
  lastUsedAt: '2026-12-02T08:50:00.000Z',
  expiresAt: '2027-01-01T08:00:00.000Z',
  ip: '203.0.113.10',
  userAgent: 'Mozilla/5.0',
  revokedAt: null,
  revokeReason: null,
};

/** How many sessions a revocation ended. */
export class RevokedSessionsDoc {
  @ApiProperty({ minimum: 0, example: 1 })
  revoked!: number;
}
