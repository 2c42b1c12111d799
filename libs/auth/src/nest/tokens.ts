/** Injection tokens of @vigil/auth's Nest integration. */
export const TOKEN_VERIFIER = Symbol('TOKEN_VERIFIER');
/** Optional: where guards report rejected tokens and denied requests (see AuthEventsSink). */
export const AUTH_EVENTS_SINK = Symbol('AUTH_EVENTS_SINK');
/** Optional: a revocation check run after the signature (sessions, deactivated users). */
export const REVOCATION_CHECK = Symbol('REVOCATION_CHECK');
export const ROLES_KEY = 'vigil:roles';
