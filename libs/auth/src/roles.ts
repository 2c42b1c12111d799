/** The roles a Vigil principal can hold (JWT `roles` claim, `users.roles` in the gateway). */
export const ROLES = ['admin', 'auditor', 'viewer', 'user'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && ROLE_SET.has(value);
}

/** Sorted, de-duplicated, known roles only: the one spelling stored and signed. */
export function normalizeRoles(roles: readonly string[]): Role[] {
  return [...new Set(roles.filter(isRole))].sort();
}
