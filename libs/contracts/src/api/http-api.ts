/*
 * What the services' HTTP APIs answer, for the services that serve them and the clients that read
 * them (the `vigil` operator CLI): one declaration each, so a field renamed on one side is a type
 * error on the other. Plain shapes (JSON), no behaviour.
 */

/** A row of the audit query API (GET /api/v1/audit/logs, the exports). */
export interface AuditLogView {
  id: string;
  eventId: string;
  createdAt: string;
  action: string;
  userId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  username: string | null;
  outcome: string;
  reason: string | null;
  producer: string;
  requestId: string | null;
  actorUserId: string | null;
  actorRoles: string[] | null;
  details: unknown;
  chainId: string;
  chainSeq: string;
}

/** A user as the gateway's admin API shows it: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  email: string;
  roles: string[];
  isAdmin: boolean;
  isActive: boolean;
  lockedUntil: string | null;
  lockReason: string | null;
  mustResetPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

/** An entry of the gateway's IP deny-list (GET /api/v1/admin/ip-blocks). */
export interface IpBlockView {
  ip: string;
  blockedUntil: string;
  /** `admin` (set by hand) or `security_action` (the monitor). */
  source: string;
  note: string | null;
  blockedBy: string | null;
  alertId: string | null;
  createdAt: string;
}

/** A legal hold of the retention worker (GET /api/v1/retention/holds). */
export interface LegalHoldView {
  holdId: string;
  userId: string | null;
  action: string | null;
  from: string | null;
  to: string | null;
  reason: string;
  createdBy: string;
  createdAt: string;
  releasedAt: string | null;
  releasedBy: string | null;
  releaseReason: string | null;
}
