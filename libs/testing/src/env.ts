/** Where the integration tier finds its real services (same variables as the services). */
export function kafkaBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((s) => s.trim());
}

/** Superuser URL of the test database (created by deploy/local/db-setup.js with VIGIL_DB=vigil_test). */
export function testDatabaseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const admin = new URL(process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  admin.pathname = `/${process.env.VIGIL_DB ?? 'vigil_test'}`;
  return admin.toString();
}
