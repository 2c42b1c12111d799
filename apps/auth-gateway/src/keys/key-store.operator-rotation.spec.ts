import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import winston from 'winston';
import { KeyStore } from './key-store';

const logger = winston.createLogger({ silent: true });
const MIN = 60_000;
const DAY = 1440 * MIN;

// Seeds 000-42 and 000-54: an operator's rotation and the key list, on a real key directory.
describe('KeyStore: operator rotation and the key list', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-keys-op-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const store = () =>
    new KeyStore({
      dir,
      alg: 'EdDSA',
      accessTtlMs: 10 * MIN,
      prepublishMs: MIN,
      rotationMs: 30 * DAY,
      logger,
    });

  it('a rotation is pre-published: listed as pending, in the JWKS, not yet signing', async () => {
    const ks = store();
    const t0 = Date.now();
    await ks.init();
    const first = ks.signingKey().kid;
    const kid = await ks.rotate(t0 + 1000);
    expect(ks.signingKey(t0 + 2000).kid).toBe(first);
    const listed = ks.describe(t0 + 2000);
    expect(listed.map((k) => [k.kid, k.state, k.published])).toEqual([
      [kid, 'pending', true],
      [first, 'signing', true],
    ]);
    expect(
      ks
        .jwks(t0 + 2000)
        .keys.map((k) => k.kid)
        .sort(),
    ).toEqual([first, kid].sort());
    // Once active, the old key is "retiring": still published until its tokens expire.
    expect(ks.describe(t0 + 2 * MIN).find((k) => k.kid === first)?.state).toBe('retiring');
  });

  it('immediate signs at once; retirePrevious deletes every other key', async () => {
    const ks = store();
    await ks.init();
    const first = ks.signingKey().kid;
    const now = Date.now();
    const second = await ks.rotate(now, { immediate: true });
    expect(ks.signingKey(now).kid).toBe(second);
    const third = await ks.rotate(now + 1, { retirePrevious: true, immediate: true });
    expect(ks.jwks(now + 2).keys.map((k) => k.kid)).toEqual([third]);
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    expect(files).toEqual([`${third}.json`]);
    expect([first, second]).not.toContain(third);
  });

  it('ages are whole days since creation, and the next scheduled rotation follows the newest key', async () => {
    const ks = store();
    await ks.init();
    const [key] = ks.describe(Date.now() + 91 * DAY + MIN);
    expect(key.ageDays).toBe(91);
    const created = Date.parse(ks.describe()[0].createdAt);
    expect(ks.nextRotationAt()).toBe(new Date(created + 30 * DAY).toISOString());
  });
});
