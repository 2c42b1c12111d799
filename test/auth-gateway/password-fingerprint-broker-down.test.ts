// Seed 000-18 (issue 19 item 1) on an error path: with Kafka unreachable, a wrong password's event
// waits in the outbox with its fingerprint (that is how it reaches the monitor later), logins go
// on, and the gateway's error lines while it retries the broker name neither the fingerprint nor
// the password. Nothing to start: the broker address refuses connections.
import { PASSWORD_FINGERPRINT } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { startGateway, type Gateway } from './support/gateway';
import { http, ipFor } from './support/http';

const SPRAYED = 'Broker-Down-Spray-2026!';

describe('seed 000-18: the fingerprint while the broker is unreachable', () => {
  let g: Gateway;

  beforeAll(async () => {
    g = await startGateway({ brokers: '127.0.0.1:1' });
  });
  afterAll(async () => {
    await g?.close();
  });

  it('waits in the outbox with the event; the retry and error lines carry neither it nor the password', async () => {
    const before = g.rawLogs.length;
    const res = await http(g)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ipFor(7))
      .send({ username: 'fp.nobody', password: SPRAYED });
    expect(res.status).toBe(401);
    const [row] = await g.sql<{ payload: { reason: string; attributes: { passwordFingerprint?: string } } }>(
      `SELECT payload FROM outbox WHERE event_type = 'FAILED_AUTH_LOGIN' AND published_at IS NULL`,
    );
    expect(row.payload.reason).toBe('unknown_user');
    const fp = row.payload.attributes.passwordFingerprint!;
    expect(fp).toMatch(PASSWORD_FINGERPRINT);
    // The gateway keeps trying the broker and says so in its logs.
    await waitFor(() => g.rawLogs.slice(before).some((l) => /"level":"(warn|error)"/.test(l)), {
      timeoutMs: 30000,
      what: 'a warning or error line about the broker',
    });
    const logs = g.rawLogs.join('\n');
    for (const secret of [fp, fp.split('.')[1], SPRAYED])
      expect({ secret, logged: logs.includes(secret) }).toEqual({ secret, logged: false });
    expect((await http(g).get('/health')).status).toBe(503);
  });
});
