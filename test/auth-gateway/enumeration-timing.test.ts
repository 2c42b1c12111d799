// Enumeration resistance with the production Argon2 parameters (m=19 MiB, t=2, p=1): an unknown
// user, a wrong password, a locked and a deactivated account get the same status and body, and take
// the same time within a tolerance, measured over many interleaved tries (medians, so a busy
// machine's outliers do not decide); so do an existing and an unknown username during the
// account-wide wait (429).
import { startGateway, waitReady, type Gateway } from './support/gateway';
import { adminToken, createUser, http, ipFor, login, sameShape } from './support/http';

const ROUNDS = 24;
const USERS = {
  henry: 'Orchid-Beacon-Tundra-30',
  ivy: 'Pebble-Sextant-Willow-81',
  jack: 'Marble-Zephyr-Hinge-46',
  kate: 'Thistle-Quarry-Nimbus-15',
};

describe('auth-gateway: enumeration resistance', () => {
  let g: Gateway;

  beforeAll(async () => {
    g = await startGateway({
      env: { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' },
    });
    await waitReady(g);
    const admin = await adminToken(g);
    const ids: Record<string, string> = {};
    for (const [username, password] of Object.entries(USERS))
      ids[username] = await createUser(g, admin, { username, password });
    const as = { Authorization: `Bearer ${admin}` };
    expect((await http(g).post(`/api/v1/admin/users/${ids.ivy}/lock`).set(as).send({})).status).toBe(200);
    expect((await http(g).post(`/api/v1/admin/users/${ids.jack}/deactivate`).set(as)).status).toBe(200);
  });
  afterAll(() => g?.close());

  it('gives unknown, wrong-password, locked and deactivated logins the same 401 body and the same time', async () => {
    const kinds = {
      unknown: (i: number) => [`nobody-${i}`, 'Orchid-Beacon-Tundra-30'],
      wrong_password: () => ['henry', 'Not-Henrys-Password-1'],
      locked: () => ['ivy', USERS.ivy],
      deactivated: () => ['jack', USERS.jack],
    } as const;
    type Kind = keyof typeof kinds;
    const times: Record<Kind, number[]> = { unknown: [], wrong_password: [], locked: [], deactivated: [] };
    const bodies = new Map<Kind, string>();
    let n = 0;
    for (let round = -2; round < ROUNDS; round++) {
      // 401s are measured here: keep the same accounts short of their account-wide wait (429, next test)
      await g.sql(`DELETE FROM throttle_state WHERE scope = 'account'`);
      const order = (Object.keys(kinds) as Kind[]).sort(() => Math.random() - 0.5);
      for (const kind of order) {
        const [u, p] = kinds[kind](n);
        const t0 = process.hrtime.bigint();
        const res = await login(g, u, p, ipFor(n++)); // a fresh address each time: no 429 in the way
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        expect(res.status).toBe(401);
        bodies.set(kind, JSON.stringify(sameShape(res.body)));
        if (round >= 0) times[kind].push(ms); // two warm-up rounds
      }
    }
    expect(new Set(bodies.values()).size).toBe(1);

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const medians = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)])) as Record<
      Kind,
      number
    >;
    const overall = median(Object.values(times).flat());
    console.log(`login failure medians (ms): ${JSON.stringify(medians)}, overall ${overall.toFixed(1)}`);
    // Every failure pays for a real Argon2 verify (a dummy one when there is no user).
    expect(medians.unknown).toBeGreaterThan(0.6 * medians.wrong_password);
    const tolerance = Math.max(10, 0.25 * overall);
    for (const m of Object.values(medians)) expect(Math.abs(m - overall)).toBeLessThanOrEqual(tolerance);
  });

  it('seed 003-18: during the account-wide wait an existing and an unknown username get the same 429, in the same time', async () => {
    const names = { existing: 'kate', unknown: 'nobody-kate' } as const;
    type Kind = keyof typeof names;
    for (const [k, name] of Object.entries(names)) {
      for (let i = 0; i < 6; i++)
        expect(
          (await login(g, name, `Wrong-Guess-${i}`, `198.18.${k === 'existing' ? 2 : 3}.${i + 1}`)).status,
        ).toBe(401);
    }
    const times: Record<Kind, number[]> = { existing: [], unknown: [] };
    const answers = new Map<Kind, string>();
    let n = 200;
    for (let round = -2; round < ROUNDS; round++) {
      const order = (Object.keys(names) as Kind[]).sort(() => Math.random() - 0.5);
      for (const kind of order) {
        const t0 = process.hrtime.bigint();
        const res = await login(g, names[kind], USERS.kate, `198.18.4.${n++ % 250}`); // the right password for kate
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        expect(res.status).toBe(429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        const headers = [
          'content-type',
          'cache-control',
          'ratelimit-policy',
          'ratelimit-limit',
          'ratelimit-remaining',
        ].map((h) => res.headers[h]);
        answers.set(
          kind,
          JSON.stringify({
            headers,
            body: { ...sameShape(res.body), detail: String(res.body.detail).replace(/\d+/g, 'N') },
          }),
        );
        if (round >= 0) times[kind].push(ms);
      }
    }
    expect(answers.get('existing')).toBe(answers.get('unknown'));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const m = { existing: median(times.existing), unknown: median(times.unknown) };
    console.log(`429 medians (ms): ${JSON.stringify(m)}`);
    expect(Math.abs(m.existing - m.unknown)).toBeLessThanOrEqual(
      Math.max(10, 0.5 * Math.max(m.existing, m.unknown)),
    );
  });
});
