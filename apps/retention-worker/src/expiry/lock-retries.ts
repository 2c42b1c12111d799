const LOCK_RETRIES = 5;

/**
 * Runs `fn` again when it failed on a lock wait (lock_not_available: the transaction's
 * lock_timeout), with backoff, at most LOCK_RETRIES times: DDL on audit_logs never waits unbounded.
 */
export async function withLockRetries<T>(
  warn: (message: string, meta: Record<string, unknown>) => void,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== '55P03' || attempt >= LOCK_RETRIES) throw err; // lock_not_available
      warn('retention: lock wait timed out; retrying', { attempt });
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
